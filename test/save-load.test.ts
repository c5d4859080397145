/** The SB3-style model API: save/load round trips, and training callbacks. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  A2C,
  EvalCallback,
  NPG,
  PPO,
  PolicygradError,
  Reinforce,
  Rng,
  SaveCallback,
  stopOnReturn,
  TRPO,
} from '../src/node.js';

const work = mkdtempSync(join(tmpdir(), 'policygrad-save-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function observations(n: number): Float32Array[] {
  const rng = Rng.fromSeed(3);
  return Array.from({ length: n }, () => Float32Array.from({ length: 4 }, () => rng.normal(0, 0.1)));
}

describe('save and load', () => {
  it.each([
    ['PPO', () => new PPO({ env: 'CartPole-v1', preset: 'zoo', seed: 1 }), (d: string) => PPO.load(d)],
    ['A2C', () => new A2C({ env: 'CartPole-v1', preset: 'zoo', seed: 2 }), (d: string) => A2C.load(d)],
    ['TRPO', () => new TRPO({ env: 'CartPole-v1', preset: 'zoo', seed: 3 }), (d: string) => TRPO.load(d)],
    ['NPG', () => new NPG({ env: 'CartPole-v1', preset: 'zoo', seed: 4 }), (d: string) => NPG.load(d)],
    [
      'REINFORCE',
      () => new Reinforce({ env: 'CartPole-v1', preset: 'zoo', seed: 5 }),
      (d: string) => Reinforce.load(d),
    ],
  ] as const)('%s: load(save(model)) predicts the same and continues the same run', (name, build, load) => {
    const dir = join(work, name);
    const model = build();
    model.learn({ totalTimesteps: 2048 });
    model.save(dir);
    const loaded = load(dir);
    expect(loaded.constructor).toBe(model.constructor);
    for (const o of observations(50)) expect(loaded.predict(o)).toEqual(model.predict(o));
    // Both continue the same run: identical metrics (time aside) and parameters.
    const strip = (rows: object[]) =>
      rows.map(({ sps: _s, timeSeconds: _t, ...rest }: { sps?: number; timeSeconds?: number }) => rest);
    const a = model.learn({ totalTimesteps: 1024 });
    const b = loaded.learn({ totalTimesteps: 1024 });
    expect(strip(b)).toEqual(strip(a));
    expect(Array.from(loaded.policy.params)).toEqual(Array.from(model.policy.params));
    // policy.json beside it is the exported policy
    expect(JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8')).format).toBe('policygrad-policy');
  });

  it('loads the networks onto another env with the same spaces, and refuses the wrong class or a broken file', () => {
    const dir = join(work, 'ppo-other');
    const model = new PPO({ env: 'CartPole-v1', numEnvs: 2, nSteps: 64, batchSize: 64, seed: 5 });
    model.learn({ totalTimesteps: 512 });
    model.save(dir);
    const moved = PPO.load(dir, { envOptions: { maxEpisodeSteps: 100 } });
    expect(moved.config.envOptions).toEqual({ maxEpisodeSteps: 100 });
    for (const o of observations(20)) expect(moved.predict(o)).toEqual(model.predict(o));
    expect(() => A2C.load(dir)).toThrow(/holds a saved 'ppo' model; load it with PPO\.load/);
    expect(() => PPO.load(join(work, 'nothing'))).toThrow(PolicygradError);
    expect(() => PPO.load(join(work, 'nothing'))).toThrow(/no saved model at/);
    writeFileSync(join(dir, 'model.json'), '{"format": "policygrad-mod');
    expect(() => PPO.load(dir)).toThrow(/corrupt or truncated/);
  });
});

describe('callbacks', () => {
  it('EvalCallback evaluates on schedule, keeps the best model; stopOnReturn ends training early', () => {
    const best = join(work, 'best');
    const evaluations: number[] = [];
    const evaluation = new EvalCallback({
      everySteps: 4096,
      episodes: 5,
      bestModelDir: best,
      onEvaluation: (r) => evaluations.push(r.step),
    });
    const seen: number[] = [];
    const model = new PPO({ env: 'CartPole-v1', preset: 'zoo', seed: 1 });
    const history = model.learn({
      totalTimesteps: 100_000,
      callbacks: [
        evaluation,
        stopOnReturn(200, 4096, 5),
        (m, self) => void seen.push(m.step, self === model ? 1 : 0),
      ],
    });
    expect(evaluations.length).toBe(evaluation.history.length);
    expect(evaluations.every((s, i) => i === 0 || s - evaluations[i - 1] >= 4096)).toBe(true);
    const last = history[history.length - 1];
    expect(last.step).toBeLessThan(100_000); // stopped early
    expect(evaluation.history[evaluation.history.length - 1].meanReturn).toBeGreaterThanOrEqual(200);
    expect(seen.length).toBe(2 * history.length);
    expect(seen.filter((_, i) => i % 2 === 1).every((v) => v === 1)).toBe(true);
    const reloaded = PPO.load(best);
    expect(reloaded.evaluate(5, { seed: 10_000 }).reduce((a, b) => a + b, 0) / 5).toBeCloseTo(
      evaluation.bestMeanReturn,
      6,
    );
  });

  it('SaveCallback saves periodically; bad schedules are refused', () => {
    const dir = join(work, 'periodic');
    const model = new A2C({ env: 'CartPole-v1', seed: 3 });
    model.learn({ totalTimesteps: 1000, callbacks: [new SaveCallback(dir, 300)] });
    expect(A2C.load(dir).policy.params.length).toBe(model.policy.params.length);
    expect(() => new SaveCallback(dir, 0)).toThrow(/everySteps must be a positive number/);
    expect(() => new EvalCallback({ everySteps: -1 })).toThrow(/everySteps/);
  });
});
