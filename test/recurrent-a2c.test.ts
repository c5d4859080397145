/**
 * RecurrentA2C: A2C's update over the recurrent policy's sequence view. The replay of the rollout reproduces the
 * collection (A2C steps from the parameters that collected it), the memory task that only a recurrent policy
 * solves, exact resume with the envs' hidden states, and its registry entry.
 */
import { describe, expect, it } from 'vitest';
import {
  A2C,
  createAlgorithm,
  RecurrentA2C,
  type RecurrentA2CConfig,
  recurrentA2cConfigSchema,
} from '../src/internal.js';
import { expectExactRecurrentResume } from './helpers.js';

/** README's memory task (2 cues, delay 2) with A2C's defaults but 8 envs × 8 steps and a small cell. */
const memoryConfig = (extra: RecurrentA2CConfig = {}): RecurrentA2CConfig => ({
  env: 'RepeatFirst-v0',
  envOptions: { cues: 2, delay: 2 },
  numEnvs: 8,
  nSteps: 8,
  entCoef: 0.01,
  hiddenSize: 16,
  netArch: [32],
  seed: 1,
  ...extra,
});

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('RecurrentA2C', () => {
  it('replays each env’s rollout from its stored state: the loss sees the log-probs that collected it (KL 0)', () => {
    // A2C's one step starts from the collecting parameters, so the replay computes the float32 outputs the
    // collection did and approxKl (SB3's mean of (r − 1) − log r) is 0 up to the metric's float64 rounding: ≤ 3e-16
    // on the wasm and the TypeScript kernels. Rows gathered in time order against the env-major sequences give
    // 3e-8 on the first update and up to 1e-4 later, so 1e-12 separates the two by four orders of magnitude.
    const model = new RecurrentA2C(memoryConfig({ cell: 'gru', numEnvs: 3, nSteps: 7 }));
    const rows = model.learn({ totalTimesteps: 21 * 6 });
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(Math.abs(row.approxKl)).toBeLessThan(1e-12);
  });

  // A feed-forward policy sees the same query whatever the cue: deterministic, it answers one fixed action, right
  // with probability 1/2, so over 100 episodes it scores 0.5 ± 0.05 (binomial standard error) and 0.65 is 3 standard
  // errors above; a policy that remembers the cue scores 1 on every episode (seeds 1–5 all did at this budget).
  const budget = 6_000;
  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: answers ≥ 95 % of 100 episodes of RepeatFirst-v0 (2 cues, delay 2) after ${budget} steps`, () => {
      const model = new RecurrentA2C(memoryConfig({ cell }));
      model.learn({ totalTimesteps: budget });
      expect(meanOf(model.evaluate(100))).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('feed-forward A2C with the same budget and settings stays at chance', () => {
    const { hiddenSize: _h, ...feedForward } = memoryConfig();
    const model = new A2C(feedForward as ConstructorParameters<typeof A2C>[0]);
    model.learn({ totalTimesteps: budget });
    expect(meanOf(model.evaluate(100))).toBeLessThan(0.65);
  });

  const cases: [string, RecurrentA2CConfig, number][] = [
    [
      'LSTM, own critic cell, RMSprop (CartPoleNoVel-v1, A2C defaults)',
      { env: 'CartPoleNoVel-v1', hiddenSize: 8, seed: 4 },
      5 * 12,
    ],
    [
      'GRU, shared cell, encoder, Adam, normalised advantages and observations',
      memoryConfig({
        cell: 'gru',
        sharedLstm: true,
        encoder: [8],
        optimizer: 'adam',
        normalizeAdvantage: true,
        normalize: true,
        seed: 3,
      }),
      64 * 6,
    ],
  ];
  for (const [name, config, total] of cases) {
    it(`${name}: resumes exactly, hidden states included`, () => {
      expectExactRecurrentResume(() => new RecurrentA2C(config), total);
    });
  }

  it("is registered as 'recurrent-a2c' with A2C's defaults, and refuses what a recurrent policy lacks", () => {
    const model = createAlgorithm('recurrent-a2c', { env: 'CartPoleNoVel-v1', seed: 0 });
    expect(model).toBeInstanceOf(RecurrentA2C);
    expect(model.config).toMatchObject({ numEnvs: 1, nSteps: 5, gaeLambda: 1, learningRate: 7e-4 });
    expect(model.config).toMatchObject({ optimizer: 'rmsprop', cell: 'lstm', hiddenSize: 256 });
    expect(recurrentA2cConfigSchema.safeParse({ sharedTrunk: true }).success).toBe(false);
    expect(
      () => new RecurrentA2C({ env: 'CartPoleNoVel-v1', sharedTrunk: true } as RecurrentA2CConfig),
    ).toThrow(/sharedTrunk/);
  });
});
