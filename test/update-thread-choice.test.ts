/**
 * Which update runs on two threads, and what the run says about it (`updateThreads`); `threads` is a run option,
 * not a hyperparameter: it is refused in one line when invalid and never reaches the config or a checkpoint. No
 * thread is started here (a critic thread starts at its first minibatch: test/update-threads.test.ts runs them).
 */
import { describe, expect, it, vi } from 'vitest';
import { PPO as CorePPO } from '../src/algos/ppo.js';
import type { UpdateThreadPort } from '../src/algos/ports.js';
import type { ActorCriticPolicy } from '../src/policies/actor-critic.js';
import type { CriticThread } from '../src/policies/critic-thread.js';
import { createAlgorithm } from '../src/index.js';
import type { WasmKernels } from '../src/nn/wasm-kernels.js';
import { A2C, PPO, RecurrentPPO, TRPO } from '../src/node/algorithms.js';
import { nodePorts } from '../src/node/ports.js';
import { stripTiming } from './golden-rows.js';

const cartPole = { env: 'CartPole-v1', seed: 1, numEnvs: 2, nSteps: 16, batchSize: 16 };

describe('threads: which update uses two', () => {
  it('PPO and A2C with separate networks and the Node port use two when asked', () => {
    for (const model of [new PPO({ ...cartPole, threads: 2 }), new A2C({ env: 'CartPole-v1', threads: 2 })]) {
      expect(model.updateThreads).toBe('2 (actor | critic)');
      expect(model.policy.criticThread).not.toBeNull();
      model.close();
      expect(model.policy.criticThread).toBeNull();
      expect(model.updateThreads).toBe('1 (closed)');
    }
  });

  it("'auto' (the default) uses two from two cores, one on a single core", () => {
    // Node's port from source says 'auto' is one thread (its worker is dist's): this one starts as from dist/.
    const node = nodePorts.updateThreads!;
    const port = (cores: number): UpdateThreadPort => ({
      cores: () => cores,
      start: (policy) => node.start(policy, 2),
    });
    const two = new CorePPO(cartPole, { updateThreads: port(2) });
    expect(two.updateThreads).toBe('2 (actor | critic)');
    two.close();
    expect(new CorePPO(cartPole, { updateThreads: port(1) }).updateThreads).toBe('1 (one core)');
    const forced = new CorePPO({ ...cartPole, threads: 2 }, { updateThreads: port(1) });
    expect(forced.updateThreads).toBe('2 (actor | critic)'); // asked for explicitly
    forced.close();
  });

  it('falls back to one thread, saying why', () => {
    expect(new PPO(cartPole).updateThreads).toMatch(
      /^1 \((running from source: 'auto' is one thread there|one core)\)$/,
    );
    expect(new PPO({ ...cartPole, threads: 1 }).updateThreads).toBe('1 (threads: 1)');
    expect(new PPO({ ...cartPole, sharedTrunk: true, threads: 2 }).updateThreads).toBe('1 (shared trunk)');
    expect(new TRPO({ env: 'CartPole-v1', threads: 2 }).updateThreads).toBe(
      '1 (TRPO has no two-network loss)',
    );
    expect(new RecurrentPPO({ env: 'CartPole-v1', threads: 2 }).updateThreads).toBe('1 (recurrent policy)');
    expect(new CorePPO({ ...cartPole, threads: 2 }).updateThreads).toMatch(/^1 \(no thread port/);
    const refusing: UpdateThreadPort = { cores: () => 2, start: () => 'TypeScript kernels' };
    expect(new CorePPO(cartPole, { updateThreads: refusing }).updateThreads).toBe('1 (TypeScript kernels)');
  });

  it('an invalid value is one line', () => {
    expect(() => createAlgorithm('ppo', { ...cartPole, threads: 3 }, nodePorts)).toThrow(
      /^PPO: threads 3: expected 1, 2 or 'auto'$/,
    );
  });

  it('is not part of the config or a checkpoint', () => {
    const model = new PPO({ ...cartPole, threads: 2 });
    expect('threads' in model.config).toBe(false);
    expect(JSON.stringify(model.checkpoint())).not.toContain('threads');
    model.close();
  });
});

/**
 * A critic thread on the caller's own thread, to drive the loss loop's three paths: the thread does both passes;
 * it does the forward pass and never starts the backward one; it never starts the forward one.
 */
function fakeThread(policy: ActorCriticPolicy, mode: 'both' | 'forward only' | 'never'): CriticThread {
  let observations: Float32Array = new Float32Array(0);
  let gradValues: Float32Array = new Float32Array(0);
  let batch = 0;
  return {
    maxRows: 1024,
    beginValues(o, b) {
      observations = Float32Array.from(o.subarray(0, b * policy.obsDim));
      batch = b;
    },
    values() {
      if (mode === 'never') return null;
      const values = Float32Array.from(policy.values(observations, batch));
      // As on another thread: the caller's critic keeps the activations of other rows.
      if (mode === 'forward only')
        policy.values(
          observations.map((x) => x + 1),
          batch,
        );
      return values;
    },
    beginBackward(g, b) {
      gradValues = Float32Array.from(g.subarray(0, b));
    },
    endBackward() {
      if (mode === 'forward only') return false;
      policy.backwardCritic(gradValues, batch);
      return true;
    },
  };
}

/**
 * A critic thread that also takes the fused step's critic half (src/algos/fused-ppo.ts), on the caller's thread:
 * it runs the half when offered ('both') or never starts it ('never': the caller takes it back).
 */
function fakeFusedThread(policy: ActorCriticPolicy, mode: 'both' | 'never'): CriticThread {
  const kernels = policy.critic.kernels as WasmKernels;
  let context = -1;
  return {
    ...fakeThread(policy, 'never'),
    beginFusedCritic(c) {
      context = c;
    },
    endFusedCritic() {
      if (mode === 'never') return false;
      kernels.ppoCriticHalf(context);
      return true;
    },
  };
}

describe('the loss loop with a critic thread', () => {
  it('the fused step in halves (actor here, critic there) gives the one-thread numbers', () => {
    for (const env of ['CartPole-v1', 'Pendulum-v1']) {
      const config = { ...cartPole, env, nEpochs: 2, threads: 1 as const };
      const reference = new CorePPO(config);
      const rows = reference.learn({ totalTimesteps: 128 });
      for (const mode of ['both', 'never'] as const) {
        const model = new CorePPO(config);
        const kernels = model.policy.critic.kernels as WasmKernels;
        const halves = vi.spyOn(kernels, 'ppoActorHalf');
        const whole = vi.spyOn(kernels, 'ppoMinibatch');
        model.policy.criticThread = fakeFusedThread(model.policy, mode);
        expect(model.learn({ totalTimesteps: 128 }).map(stripTiming), mode).toEqual(rows.map(stripTiming));
        expect(model.policy.params, mode).toEqual(reference.policy.params);
        expect(halves).toHaveBeenCalled();
        expect(whole).not.toHaveBeenCalled();
        vi.restoreAllMocks();
      }
    }
  });

  it('gives the one-thread numbers whether the thread does the work or the caller takes it back', () => {
    const config = { ...cartPole, nEpochs: 2, threads: 1 as const };
    const reference = new CorePPO(config);
    const rows = reference.learn({ totalTimesteps: 128 });
    for (const mode of ['both', 'forward only', 'never'] as const) {
      const model = new CorePPO(config);
      model.policy.criticThread = fakeThread(model.policy, mode);
      expect(model.learn({ totalTimesteps: 128 }).map(stripTiming), mode).toEqual(rows.map(stripTiming));
      expect(model.policy.params, mode).toEqual(reference.policy.params);
    }
  });
});
