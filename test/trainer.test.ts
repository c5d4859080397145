/**
 * The trainer's contract (ARCHITECTURE.md § "The iterate() contract"): `learn` is `begin` plus a loop over
 * `iterate()`, a checkpoint between two iterations resumes exactly, `done` follows the schedule, and `iterate()`
 * refuses to run without one.
 */
import { describe, expect, it } from 'vitest';
import {
  A2C,
  createAlgorithm,
  NPG,
  PolicygradError,
  PPO,
  RecurrentActorCriticPolicy,
  RecurrentPPO,
  recurrentPpoDefinition,
  Reinforce,
  Trainer,
  TRPO,
} from '../src/internal.js';
import type { MetricsRow } from '../src/internal.js';

const TIME_FIELDS = new Set(['sps', 'timeSeconds']);
const comparable = (rows: object[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIME_FIELDS.has(k))));

interface Driven {
  begin(o: { totalTimesteps: number; resetProgress?: boolean }): void;
  iterate(): MetricsRow;
  readonly done: boolean;
  readonly numTimesteps: number;
}

type Model = A2C | PPO | TRPO | NPG | Reinforce;

const cases: [string, () => Model, number][] = [
  [
    'A2C (Adam, linear learning rate)',
    () =>
      new A2C({
        env: 'CartPole-v1',
        seed: 3,
        numEnvs: 2,
        nSteps: 8,
        optimizer: 'adam',
        learningRate: 'lin_0.001',
      }),
    16 * 12,
  ],
  [
    'PPO (adaptive KL penalty, linear clip range, gSDE)',
    () =>
      new PPO({
        env: 'Pendulum-v1',
        seed: 4,
        numEnvs: 2,
        nSteps: 32,
        batchSize: 32,
        nEpochs: 2,
        objective: 'clip+kl',
        clipRange: 'lin_0.2',
        useSde: true,
      }),
    64 * 6,
  ],
  [
    'PPO (target-KL early stop)',
    () =>
      new PPO({
        env: 'CartPole-v1',
        seed: 5,
        numEnvs: 2,
        nSteps: 32,
        batchSize: 16,
        nEpochs: 4,
        targetKl: 0.002,
      }),
    64 * 6,
  ],
  [
    'TRPO (linear critic learning rate)',
    () => new TRPO({ env: 'CartPole-v1', seed: 6, numEnvs: 2, nSteps: 32, learningRate: 'lin_0.001' }),
    64 * 5,
  ],
  ['NPG', () => new NPG({ env: 'Pendulum-v1', seed: 7, nSteps: 64, batchSize: 32 }), 64 * 5],
  [
    'REINFORCE (whole episodes, two batches reused with truncated importance weights)',
    () =>
      new Reinforce({
        env: 'CartPole-v1',
        seed: 8,
        numEnvs: 2,
        nSteps: 32,
        reuseBatches: 2,
        importanceWeightClip: 2,
        netArch: [8],
      }),
    64 * 10,
  ],
  [
    'REINFORCE (steps, GAE)',
    () => new Reinforce({ env: 'CartPole-v1', seed: 9, nSteps: 48, gaeLambda: 0.9, netArch: [8] }),
    48 * 5,
  ],
];

function drive(model: Driven): MetricsRow[] {
  const rows: MetricsRow[] = [];
  while (!model.done) rows.push(model.iterate());
  return rows;
}

describe.each(cases)('%s', (_name, build, total) => {
  it('learn() and a begin() + iterate() loop give identical rows and parameters', () => {
    const learned = build();
    const expected = learned.learn({ totalTimesteps: total });
    const driven = build();
    driven.begin({ totalTimesteps: total });
    const rows = drive(driven);
    expect(rows.length).toBeGreaterThan(3);
    expect(comparable(rows)).toEqual(comparable(expected));
    expect(Array.from(driven.policy.params)).toEqual(Array.from(learned.policy.params));
    const withoutClock = (m: Model) => ({
      ...m.checkpoint(),
      tracker: { ...m.checkpoint().tracker, elapsedSeconds: 0 },
    });
    expect(withoutClock(driven)).toEqual(withoutClock(learned));
  });

  it('a checkpoint taken between two iterate() calls resumes exactly (the schedule travels with it)', () => {
    const uninterrupted = build();
    uninterrupted.begin({ totalTimesteps: total });
    const expected = drive(uninterrupted);

    const first = build();
    first.begin({ totalTimesteps: total });
    const head = [first.iterate(), first.iterate()];
    const saved = JSON.parse(JSON.stringify(first.checkpoint())) as unknown;
    const resumed = build();
    resumed.restoreCheckpoint(saved); // no begin(): the checkpoint carries its schedule
    const tail = drive(resumed);
    expect(comparable([...head, ...tail])).toEqual(comparable(expected));
    expect(Array.from(resumed.policy.params)).toEqual(Array.from(uninterrupted.policy.params));
  });
});

describe('the schedule', () => {
  const small = () => new A2C({ env: 'CartPole-v1', seed: 1, numEnvs: 2, nSteps: 5 });

  it('iterate() without a schedule throws one line, before anything changes', () => {
    const model = small();
    expect(model.done).toBe(false);
    expect(() => model.iterate()).toThrow(PolicygradError);
    expect(() => model.iterate()).toThrow(
      /^A2C\.iterate: no schedule: call begin\(\{ totalTimesteps \}\) or learn\(\) first$/,
    );
    expect(model.numTimesteps).toBe(0);
    expect(() => model.begin({ totalTimesteps: 0 })).toThrow(/^A2C\.begin: invalid totalTimesteps 0/);
  });

  it('done: false until the budget is used, true after; resetProgress false extends the schedule', () => {
    const model = small();
    model.begin({ totalTimesteps: 25 }); // 10 steps per iteration: 3 iterations reach 30 ≥ 25
    const steps: number[] = [];
    while (!model.done) steps.push(model.iterate().step);
    expect(steps).toEqual([10, 20, 30]);
    expect(() => model.iterate()).toThrow(
      /^A2C\.iterate: the schedule of 25 steps is used \(step 30\): call begin\(\{ totalTimesteps \}\) for more$/,
    );
    model.begin({ totalTimesteps: 10, resetProgress: false }); // 10 more: the schedule now ends at step 40
    expect(model.done).toBe(false);
    expect(model.iterate().step).toBe(40);
    expect(model.done).toBe(true);
    model.begin({ totalTimesteps: 10 }); // a fresh schedule from step 40
    expect(model.done).toBe(false);
    expect(model.iterate()).toMatchObject({ step: 50, iteration: 5 });
  });

  it('the schedules are read before each collection (progress remaining 1, 0.75, 0.5, 0.25 over 4 iterations)', () => {
    const model = new PPO({
      env: 'CartPole-v1',
      seed: 1,
      nSteps: 16,
      batchSize: 16,
      nEpochs: 1,
      learningRate: 'lin_0.001',
      clipRange: 'lin_0.2',
    });
    model.begin({ totalTimesteps: 64 });
    const rows = [model.iterate(), model.iterate(), model.iterate(), model.iterate()];
    [1, 0.75, 0.5, 0.25].forEach((remaining, i) => {
      expect(rows[i].learningRate).toBeCloseTo(0.001 * remaining, 15);
      expect(rows[i].clipRange).toBeCloseTo(0.2 * remaining, 15);
    });
    expect(model.done).toBe(true);
  });

  it('learn() stops when the callback returns false, and continues with resetProgress: false', () => {
    const model = small();
    const head = model.learn({ totalTimesteps: 50, callback: (m) => m.iteration < 2 });
    expect(head.map((m) => m.step)).toEqual([10, 20]);
    const tail = model.learn({ totalTimesteps: 30, resetProgress: false });
    expect(tail.map((m) => m.step)).toEqual([30, 40, 50]);
    const reference = small().learn({ totalTimesteps: 50 });
    expect(comparable([...head, ...tail])).toEqual(comparable(reference));
  });

  it('trainOn(batch) is the update half of iterate() on a batch collected elsewhere', () => {
    const collected = small();
    const iterated = small();
    collected.begin({ totalTimesteps: 30 });
    iterated.begin({ totalTimesteps: 30 });
    for (let i = 0; i < 3; i++) {
      const { collector, buffer } = collected.parts;
      const row = collected.trainOn(collector.collectSteps(buffer));
      expect(comparable([row])).toEqual(comparable([iterated.iterate()]));
    }
    expect(Array.from(collected.policy.params)).toEqual(Array.from(iterated.policy.params));
  });
});

describe('a Trainer generic in its parts', () => {
  const config = { env: 'CartPoleNoVel-v1', numEnvs: 2, nSteps: 8, batchSize: 8, nEpochs: 1, hiddenSize: 4 };

  it('RecurrentPPO is a Trainer of its own parts: the recurrent policy, predict with memory, callbacks given the model', () => {
    const model = createAlgorithm('recurrent-ppo', config);
    expect(model).toBeInstanceOf(RecurrentPPO);
    expect(model).toBeInstanceOf(Trainer);
    expect(model.policy).toBeInstanceOf(RecurrentActorCriticPolicy);
    const seen: unknown[] = [];
    model.learn({ totalTimesteps: 16, callbacks: [(_row, m) => void seen.push(m)] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(model);
    // predict and evaluate are the definition's: with a state (the model's own when none is given)
    const recurrent = new RecurrentPPO(config);
    const action = recurrent.predict(new Float32Array([0.01, 0, 0.02, 0]), { episodeStart: true });
    expect([0, 1]).toContain(action);
    expect(recurrent.evaluate(1, { seed: 3 })).toHaveLength(1);
  });

  it('a definition whose policy has memory and gives no acting of its own is refused in one line', () => {
    const { acting: _acting, ...withoutActing } = recurrentPpoDefinition;
    expect(() => new Trainer(withoutActing, config)).toThrow(
      new PolicygradError(
        'RECURRENT-PPO: its definition builds a policy with memory, so it must give its own acting (predict, evaluate)',
      ),
    );
  });
});

describe('checkpoint format version 2 and later', () => {
  it("names the optimizers by the update rule and stores the rule's own state", () => {
    const a2c = new A2C({ env: 'CartPole-v1', seed: 1, numEnvs: 2, nSteps: 5 });
    a2c.learn({ totalTimesteps: 10 });
    const cp = a2c.checkpoint();
    expect(cp).toMatchObject({ version: 3, algo: 'a2c', state: {} });
    expect(Object.keys(cp.optimizers)).toEqual(['actorCritic']);
    expect(cp.optimizers.actorCritic.kind).toBe('RMSprop');
  });

  it("PPO's rule keeps β in the checkpoint and refuses an invalid one in one line", () => {
    const ppo = new PPO({ env: 'Pendulum-v1', seed: 2, nSteps: 64, batchSize: 64, objective: 'kl-penalty' });
    const row = ppo.learn({ totalTimesteps: 128 }).at(-1);
    const cp = ppo.checkpoint();
    expect(cp.state).toEqual({ klBeta: row?.klBeta });
    expect(Object.keys(cp.optimizers)).toEqual(['actorCritic']);
    expect(() => new PPO({ env: 'Pendulum-v1' }).restoreCheckpoint({ ...cp, state: { klBeta: -1 } })).toThrow(
      /^PPO checkpoint: invalid klBeta -1: expected a positive number$/,
    );
  });
});
