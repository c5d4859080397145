/**
 * The fused batched act (src/policies/fused-act.ts, `actBatch` in assembly/kernels.ts) against the JavaScript path
 * of ActorCriticPolicy.act it replaces, on the same policies, observations and generators: actions,
 * log-probabilities, values and the generator's state afterwards bit for bit (the draws are taken in JavaScript
 * in the same order, the head runs in float64 in JavaScript's order with the host's Math.exp and Math.log, so no
 * tolerance is needed); and whole PPO runs with and without it give the same rows and parameters.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActorCriticPolicy, type ActResult, PPO, Rng } from '../src/internal.js';
import type { WasmKernels } from '../src/nn/wasm-kernels.js';
import { createWasmKernels } from '../src/nn/wasm-kernels.js';
import { tsKernels } from '../src/nn/kernels.js';
import { bits, makePolicy, type PolicyKind } from './loss-fixtures.js';
import { stripTiming } from './golden-rows.js';

const kernels = createWasmKernels() as WasmKernels;
afterEach(() => {
  vi.restoreAllMocks(); // a failed comparison leaves no spy counting into the next test
});

function result(batch: number, actionSize: number): ActResult {
  return {
    actions: new Float32Array(batch * actionSize),
    logProbs: new Float32Array(batch),
    values: new Float32Array(batch),
  };
}

/** Random masks with at least one allowed action per component (one only, in every third row). */
function randomMasks(policy: ActorCriticPolicy, batch: number, rng: Rng): Uint8Array {
  const sizes = 'sizes' in policy.dist ? (policy.dist.sizes as number[]) : [];
  const masks = new Uint8Array(batch * policy.dist.inputSize);
  for (let b = 0; b < batch; b++) {
    let offset = b * policy.dist.inputSize;
    for (const n of sizes) {
      for (let i = 0; i < n; i++) masks[offset + i] = b % 3 === 0 ? 0 : rng.uniform() < 0.6 ? 1 : 0;
      masks[offset + rng.integer(0, n)] = 1;
      offset += n;
    }
  }
  return masks;
}

type Observations = 'float32' | 'float64' | 'longer';

/** Acts `calls` times with the fused and the JS path from the same state and compares every output bit. */
function compare(
  kind: PolicyKind,
  batch: number,
  seed: number,
  o: { deterministic?: boolean; masked?: boolean; obs?: Observations } = {},
) {
  const fused = makePolicy(kind, seed, kernels);
  const js = makePolicy(kind, seed, kernels);
  js.fusedAct = false;
  const spy = vi.spyOn(kernels, 'actBatch');
  const fusedRng = Rng.fromSeed(seed + 1);
  const jsRng = Rng.fromSeed(seed + 1);
  const data = Rng.fromSeed(seed + 2);
  const A = fused.dist.actionSize;
  for (let call = 0; call < 4; call++) {
    const n = batch * fused.obsDim;
    const values = Array.from({ length: o.obs === 'longer' ? n + 5 : n }, () => data.normal(0, 2));
    const observations =
      o.obs === 'float64' || o.obs === 'longer' ? Float64Array.from(values) : Float32Array.from(values);
    const masks = o.masked === true ? randomMasks(fused, batch, data) : undefined;
    const a = result(batch, A);
    const b = result(batch, A);
    fused.act(observations, batch, fusedRng, a, o.deterministic === true, masks);
    js.act(observations, batch, jsRng, b, o.deterministic === true, masks);
    expect(bits(a.actions)).toEqual(bits(b.actions));
    expect(bits(a.logProbs)).toEqual(bits(b.logProbs));
    expect(bits(a.values)).toEqual(bits(b.values));
    expect(fusedRng.getState()).toEqual(jsRng.getState());
  }
  expect(spy).toHaveBeenCalledTimes(4);
  spy.mockRestore();
}

describe('fused act: the same actions, log-probabilities, values and draws as the JavaScript path', () => {
  const KINDS: PolicyKind[] = ['discrete', 'multi-discrete', 'gaussian'];
  for (const kind of KINDS) {
    for (const batch of [1, 4, 7, 64]) {
      it(`${kind}, batch ${batch}: sampled`, () => compare(kind, batch, 11 + batch));
    }
    it(`${kind}: the mode`, () => compare(kind, 5, 3, { deterministic: true }));
    it(`${kind}: float64 observations, and an array longer than the batch`, () => {
      compare(kind, 3, 5, { obs: 'float64' });
      compare(kind, 3, 6, { obs: 'longer' });
    });
  }
  for (const kind of ['discrete', 'multi-discrete'] as const) {
    it(`${kind} with action masks: sampled and the mode`, () => {
      compare(kind, 9, 21, { masked: true });
      compare(kind, 9, 22, { masked: true, deterministic: true });
    });
  }

  it('a mask that allows no action: the JavaScript path’s one-line error', () => {
    const policy = makePolicy('discrete', 4, kernels);
    const masks = new Uint8Array(2 * 4).fill(1);
    masks.fill(0, 4, 8);
    const act = () =>
      policy.act(new Float32Array(2 * policy.obsDim), 2, Rng.fromSeed(1), result(2, 1), false, masks);
    policy.fusedAct = false;
    expect(act).toThrow(/^the action mask allows no action \(row 1\): at least one entry must be 1$/);
    policy.fusedAct = true;
    expect(act).toThrow(/^the action mask allows no action \(row 1\): at least one entry must be 1$/);
  });

  it('policies it does not cover act on the JavaScript path (and the workspaces growing between calls)', () => {
    for (const kind of ['state-dependent-std', 'squashed', 'gsde', 'shared-trunk'] as const) {
      const spy = vi.spyOn(kernels, 'actBatch');
      const policy = makePolicy(kind, 8, kernels);
      if (kind === 'gsde') policy.resetNoise(3, Rng.fromSeed(2));
      policy.act(new Float32Array(3 * policy.obsDim), 3, Rng.fromSeed(1), result(3, policy.dist.actionSize));
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
    const ts = makePolicy('discrete', 8, tsKernels);
    const spy = vi.spyOn(kernels, 'actBatch');
    ts.act(new Float32Array(3 * ts.obsDim), 3, Rng.fromSeed(1), result(3, 1));
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    // A batch larger than the fused act's tables, after the networks' workspaces grew elsewhere.
    const policy = makePolicy('gaussian', 9, kernels);
    const js = makePolicy('gaussian', 9, kernels);
    js.fusedAct = false;
    for (const batch of [2, 40, 3, 100]) {
      policy.values(new Float32Array(200 * policy.obsDim), 200 - batch); // grows the critic's workspace
      const obs = Float32Array.from({ length: batch * policy.obsDim }, (_, k) => Math.sin(k));
      const a = result(batch, 2);
      const b = result(batch, 2);
      policy.act(obs, batch, Rng.fromSeed(batch), a);
      js.act(obs, batch, Rng.fromSeed(batch), b);
      expect(bits(a.actions)).toEqual(bits(b.actions));
      expect(bits(a.values)).toEqual(bits(b.values));
    }
  });

  it('whole PPO runs (CartPole, Pendulum) with and without the fused act: the same rows and parameters', () => {
    for (const env of ['CartPole-v1', 'Pendulum-v1']) {
      const run = (fused: boolean) => {
        const ppo = new PPO({ env, numEnvs: 4, nSteps: 32, batchSize: 64, nEpochs: 2, seed: 7 });
        if (!(ppo.policy instanceof ActorCriticPolicy)) throw new Error('a feed-forward policy');
        ppo.policy.fusedAct = fused;
        const rows = ppo.learn({ totalTimesteps: 3 * 128 }).map(stripTiming);
        return { rows, params: Array.from(ppo.policy.params) };
      };
      expect(run(true)).toEqual(run(false));
    }
  });
});
