/**
 * A recurrent model outside training: save/load of RecurrentPPO (the run continues exactly, hidden states
 * included), the policy file (`exportPolicy` / `importRecurrentPolicy`), and `policygrad/inference` keeping the
 * memory between `act` calls with `reset()` at episode starts: the same actions as the trained policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/inference.js';
import {
  type Box,
  EvalCallback,
  exportPolicy,
  importPolicy,
  importRecurrentPolicy,
  make,
  normalizationOf,
  RecurrentPPO,
  type RecurrentPPOConfig,
} from '../src/internal-node.js';

const work = mkdtempSync(join(tmpdir(), 'policygrad-recurrent-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TIME_FIELDS = new Set(['sps', 'timeSeconds']);
const comparable = (rows: object[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIME_FIELDS.has(k))));

const memory: RecurrentPPOConfig = {
  env: 'RepeatFirst-v0',
  envOptions: { cues: 3, delay: 3 },
  numEnvs: 4,
  nSteps: 16,
  batchSize: 32,
  nEpochs: 4,
  learningRate: 3e-3,
  entCoef: 0.01,
  hiddenSize: 16,
  netArch: [32],
  seed: 2,
};

function fileOf(model: RecurrentPPO) {
  return exportPolicy(model.policy, {
    algo: 'recurrent-ppo',
    env: model.config.env,
    envOptions: model.config.envOptions,
    observationSpace: model.env.singleObservationSpace as Box,
    actionSpace: model.env.singleActionSpace,
    normalization: normalizationOf(model.env),
  });
}

describe('RecurrentPPO save and load', () => {
  it('continues the saved run exactly and predicts as the saved model did', () => {
    const expected = new RecurrentPPO(memory).learn({ totalTimesteps: 64 * 6 });
    const model = new RecurrentPPO(memory);
    const head = model.learn({ totalTimesteps: 64 * 6, callback: (m) => m.iteration < 3 });
    const dir = join(work, 'memory');
    model.save(dir);
    const loaded = RecurrentPPO.load(dir);
    const obs = new Float32Array([1, 0, 0, 0]);
    expect(loaded.predict(obs, { episodeStart: true })).toEqual(model.predict(obs, { episodeStart: true }));
    const tail = loaded.learn({ totalTimesteps: 64 * 6 - loaded.numTimesteps, resetProgress: false });
    expect(comparable([...head, ...tail])).toEqual(comparable(expected));
  });
});

describe('RecurrentPPO with callbacks', () => {
  it('EvalCallback evaluates the recurrent model with memory and saves the best one; a callback can stop it', () => {
    const best = join(work, 'best');
    const evaluation = new EvalCallback({ everySteps: 4000, episodes: 20, bestModelDir: best });
    const model = new RecurrentPPO({ ...memory, envOptions: { cues: 2, delay: 2 } });
    const rows = model.learn({
      totalTimesteps: 12_000,
      callbacks: [evaluation],
      callback: (m) => m.step < 8000,
    });
    expect(rows[rows.length - 1].step).toBeGreaterThanOrEqual(8000);
    expect(rows[rows.length - 1].step).toBeLessThan(12_000); // stopped by the callback
    expect(evaluation.history.length).toBe(2);
    expect(evaluation.bestMeanReturn).toBe(1); // the cue remembered: chance would be 0.5
    expect(RecurrentPPO.load(best).evaluate(10)).toEqual(new Array(10).fill(1));
  });
});

describe('recurrent policy files and policygrad/inference', () => {
  for (const [name, config] of [
    ['LSTM, discrete, memory task', { ...memory, cell: 'lstm' }],
    [
      'GRU with an encoder, observation normalisation, CartPoleNoVel',
      {
        env: 'CartPoleNoVel-v1',
        cell: 'gru',
        encoder: [8],
        normalize: true,
        hiddenSize: 16,
        numEnvs: 2,
        nSteps: 32,
        batchSize: 64,
        seed: 3,
      },
    ],
    [
      'LSTM, Box actions with gSDE, PendulumNoVel',
      {
        env: 'PendulumNoVel-v1',
        useSde: true,
        hiddenSize: 8,
        netArch: [16],
        numEnvs: 2,
        nSteps: 32,
        batchSize: 64,
        seed: 4,
      },
    ],
  ] as [string, RecurrentPPOConfig][]) {
    it(`${name}: inference acts as the trained policy over two episodes, reset() between them`, () => {
      const model = new RecurrentPPO(config);
      model.learn({ totalTimesteps: 512 });
      const file = JSON.parse(JSON.stringify(fileOf(model)));
      expect(() => importPolicy(file)).toThrow(/recurrent policy; read it with importRecurrentPolicy/);
      const imported = importRecurrentPolicy(file);
      expect(Array.from(imported.params)).toEqual(Array.from(model.policy.params));
      const inference = loadPolicy(JSON.stringify(file));
      const env = make<Float32Array, number | Float32Array>(config.env as string, config.envOptions);
      const stats = normalizationOf(model.env);
      let steps = 0;
      for (let episode = 0; episode < 2; episode++) {
        let { observation } = env.reset({ seed: 40 + episode });
        inference.reset();
        const state = model.initialState();
        for (let t = 0; t < 60; t++) {
          const normalised =
            stats === null
              ? observation
              : observation.map((v, i) =>
                  Math.fround(
                    Math.min(
                      Math.max((v - stats.obsRms.mean[i]) / Math.sqrt(stats.obsRms.var[i] + 1e-8), -10),
                      10,
                    ),
                  ),
                );
          const expected = model.predict(normalised, { state, episodeStart: t === 0 });
          const action = inference.act(observation);
          if (typeof expected === 'number') expect(action).toBe(expected);
          else {
            const low = (env.actionSpace as Box).low;
            const high = (env.actionSpace as Box).high;
            const clipped = Array.from(expected, (a, i) => Math.min(Math.max(a, low[i]), high[i]));
            (action as number[]).forEach((a, i) => expect(a).toBeCloseTo(clipped[i], 4));
          }
          const step = env.step(
            typeof expected === 'number' ? expected : Float32Array.from(action as number[]),
          );
          observation = step.observation;
          steps++;
          if (step.terminated || step.truncated) break;
        }
      }
      expect(steps).toBeGreaterThan(5);
    });
  }

  it('inference reset() forgets: the state after reset is zero, and act from it differs from act with memory', () => {
    const model = new RecurrentPPO({ ...memory, cell: 'lstm' });
    const inference = loadPolicy(fileOf(model) as never);
    inference.act([1, 0, 0, 0]);
    expect(inference.state.some((x) => x !== 0)).toBe(true);
    const kept = inference.state;
    inference.reset();
    expect(inference.state.every((x) => x === 0)).toBe(true);
    inference.state = kept;
    expect(Array.from(inference.state)).toEqual(Array.from(kept));
  });
});
