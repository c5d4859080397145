/**
 * The fused PPO minibatch step (src/algos/fused-ppo.ts, `ppoMinibatch` in assembly/kernels.ts) against the
 * JavaScript path it replaces (accumulateLoss with PPO's terms, clipGradNorm, Adam.step), on the same policies
 * and the same minibatches: parameters, gradients, Adam's moments and the metrics bit for bit (the kernel computes
 * the heads in float64 in JavaScript's order and calls the host's Math.exp and Math.log, so no tolerance is
 * needed); and whole PPO runs with and without it give the same rows and parameters.
 */
import { describe, expect, it, vi } from 'vitest';
import type { buildOnPolicy } from '../src/internal.js';
import {
  accumulateLoss,
  Adam,
  clipGradNorm,
  createFusedPPOStep,
  createPPOUpdate,
  LossScratch,
  ppoDefinition,
  type PPOResolvedConfig,
  ppoLoss,
  shuffledRows,
  Trainer,
} from '../src/internal.js';
import { tsKernels } from '../src/nn/kernels.js';
import { createWasmKernels, WasmKernels } from '../src/nn/wasm-kernels.js';
import { bits, makePolicy, makeRows, type PolicyKind } from './loss-fixtures.js';
import { stripTiming } from './golden-rows.js';

const kernels = createWasmKernels() as WasmKernels;

interface Case {
  objective: 'clip' | 'none';
  valueLoss: 'sb3' | 'cleanrl';
  clipRangeVf: number | null;
  entCoef: number;
  maxGradNorm: number | null;
  targetKl: number | null;
}

const CASES: Case[] = [
  { objective: 'clip', valueLoss: 'sb3', clipRangeVf: null, entCoef: 0.01, maxGradNorm: 0.5, targetKl: null },
  {
    objective: 'none',
    valueLoss: 'cleanrl',
    clipRangeVf: 0.2,
    entCoef: 0,
    maxGradNorm: null,
    targetKl: null,
  },
  {
    objective: 'clip',
    valueLoss: 'cleanrl',
    clipRangeVf: 0.05,
    entCoef: 0.02,
    maxGradNorm: 0.05,
    targetKl: null,
  },
  { objective: 'clip', valueLoss: 'sb3', clipRangeVf: 0.05, entCoef: 0.01, maxGradNorm: 0.5, targetKl: 0.5 },
];

const KINDS: PolicyKind[] = ['discrete', 'masked', 'multi-discrete', 'gaussian'];

/** Runs `steps` minibatch steps on the JS path and on the fused one, from the same policy, and compares them. */
function compare(kind: PolicyKind, c: Case, B: number, steps: number, seed: number) {
  const config = { ...c, vfCoef: 0.5, klBetaInit: 1 };
  const js = makePolicy(kind, seed, kernels);
  const fusedPolicy = makePolicy(kind, seed, kernels);
  const jsAdam = new Adam(js.numParams, 3e-3, { epsilon: 1e-5, kernels });
  const fusedAdam = new Adam(js.numParams, 3e-3, { epsilon: 1e-5, kernels });
  const fused = createFusedPPOStep(fusedPolicy, fusedAdam, B, config);
  expect(fused).not.toBeNull();
  if (fused === null) return;
  const { loss, policySurrogate } = ppoLoss(config);
  const scratch = new LossScratch();
  const clipRange = 0.1;
  policySurrogate.clipRange = clipRange;
  let stops = 0;
  for (let step = 0; step < steps; step++) {
    const rows = makeRows(js, kind, B, seed * 10 + step, { actorNoise: 0.05 * (step + 1) });
    const mb = fused.minibatch;
    mb.observations.set(rows.observations);
    mb.actions.set(rows.actions);
    mb.oldLogProbs.set(rows.oldLogProbs);
    mb.oldValues.set(rows.oldValues);
    mb.returns.set(rows.returns);
    mb.advantages.set(rows.advantages);
    js.zeroGrad();
    const m = accumulateLoss(js, rows, loss, scratch).metrics;
    const jsStops = c.targetKl !== null && m.approxKl > 1.5 * c.targetKl;
    if (!jsStops) {
      if (c.maxGradNorm !== null) clipGradNorm(js.grads, c.maxGradNorm);
      jsAdam.step(js.params, js.grads);
    }
    const f = fused.step(mb.advantages, B, clipRange, rows.masks ?? null);
    expect(f === null).toBe(jsStops);
    if (jsStops) stops++;
    else {
      expect(f).toEqual({
        policyLoss: m.policyLoss,
        valueLoss: m.valueLoss,
        entropy: m.entropy,
        approxKl: m.approxKl,
        clipFraction: m.clipFraction,
      });
    }
    expect(bits(fusedPolicy.grads)).toEqual(bits(js.grads));
    expect(bits(fusedPolicy.params)).toEqual(bits(js.params));
    expect(fusedAdam.getState()).toEqual(jsAdam.getState());
  }
  return stops;
}

describe('fused PPO minibatch step', () => {
  for (const kind of KINDS) {
    CASES.forEach((c, i) => {
      it(`${kind}, case ${i} (${c.objective}, ${c.valueLoss} value loss, clipRangeVf ${c.clipRangeVf}, entCoef ${c.entCoef}, maxGradNorm ${c.maxGradNorm}): bit for bit the JS path`, () => {
        compare(kind, c, 64, 4, 1 + i);
        compare(kind, c, 37, 3, 11 + i); // a batch that is not a multiple of 4: the kernels' edge paths
      });
    });
  }

  it('the target-KL stop: no step, as the JS path, when (r − 1) − log r averages above 1.5·targetKl', () => {
    const c: Case = { ...CASES[0], targetKl: 1e-6 };
    expect(compare('discrete', c, 32, 2, 5)).toBe(2);
  });

  it('covers only what it computes: other policies, objectives, kernels and large batches keep the JS path', () => {
    const c = { ...CASES[0], vfCoef: 0.5 };
    const eligible = (kind: PolicyKind, o: Partial<typeof c> = {}, batch = 64, k = kernels) => {
      const policy = makePolicy(kind, 1, k);
      return createFusedPPOStep(policy, new Adam(policy.numParams, 1e-3, { kernels: k }), batch, {
        ...c,
        ...o,
      });
    };
    expect(eligible('discrete')).not.toBeNull();
    for (const kind of ['state-dependent-std', 'squashed', 'gsde', 'shared-trunk'] as PolicyKind[]) {
      expect(eligible(kind)).toBeNull();
    }
    expect(eligible('discrete', { objective: 'kl-penalty' as 'clip' })).toBeNull();
    expect(eligible('discrete', {}, 1025)).toBeNull();
    expect(eligible('discrete', {}, 64, tsKernels as WasmKernels)).toBeNull();
    const masks = { masks: new Uint8Array(4) };
    expect(eligible('discrete')?.usable(masks)).toBe(true);
    expect(eligible('gaussian')?.usable(masks)).toBe(false); // the JS path says masks need a Discrete space
    expect(eligible('gaussian')?.usable({ masks: null })).toBe(true);
  });

  it("a row whose mask allows no action: the JS head's one-line error", () => {
    const policy = makePolicy('masked', 2, kernels);
    const fused = createFusedPPOStep(policy, new Adam(policy.numParams, 1e-3, { kernels }), 8, {
      ...CASES[0],
      vfCoef: 0.5,
    });
    const rows = makeRows(policy, 'masked', 8, 3);
    const masks = (rows.masks as Uint8Array).slice();
    masks.fill(0, 5 * 4, 6 * 4);
    expect(() => fused?.step(fused.minibatch.advantages, 8, 0.2, masks)).toThrow(
      /the action mask allows no action \(row 5\)/,
    );
  });
});

describe('PPO with the fused step', () => {
  const cases: { env: string; config: Record<string, unknown> }[] = [
    { env: 'CartPole-v1', config: { numEnvs: 2, nSteps: 64, batchSize: 32, nEpochs: 2, entCoef: 0.01 } },
    {
      env: 'Pendulum-v1',
      config: {
        numEnvs: 2,
        nSteps: 64,
        batchSize: 48,
        nEpochs: 2,
        clipRangeVf: 0.2,
        valueLoss: 'cleanrl',
        targetKl: 0.05,
      },
    },
  ];
  for (const { env, config } of cases) {
    it(`${env}: the same rows and parameters as the JavaScript path, and it is the path taken`, () => {
      const run = (fused: boolean) => {
        const definition = {
          ...ppoDefinition,
          createUpdate: (parts: ReturnType<typeof buildOnPolicy>, c: PPOResolvedConfig) =>
            createPPOUpdate(parts, c, shuffledRows(parts.policy, c.nSteps * c.numEnvs), 'PPO', { fused }),
        };
        const model = new Trainer(definition, { env, seed: 3, threads: 1, ...config });
        const spy = vi.spyOn(WasmKernels.prototype, 'ppoMinibatch');
        const rows = model.learn({ totalTimesteps: 512 }).map(stripTiming);
        const calls = spy.mock.calls.length;
        spy.mockRestore();
        return { rows, params: Array.from(model.policy.params), calls };
      };
      const fused = run(true);
      const js = run(false);
      expect(fused.calls).toBeGreaterThan(0);
      expect(js.calls).toBe(0);
      expect(fused.rows).toEqual(js.rows);
      expect(fused.params).toEqual(js.params);
    });
  }
});
