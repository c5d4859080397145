import { describe, expect, it } from 'vitest';
import {
  ClipAction,
  Dict,
  Discrete,
  FlattenObservation,
  make,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  RescaleAction,
  TimeLimit,
} from '../src/index.js';
import { CounterEnv, EchoActionEnv } from './helpers.js';

describe('TimeLimit', () => {
  it('truncates on the step that reaches the limit and restarts the count on reset', () => {
    const env = new TimeLimit(new CounterEnv(100), 2);
    env.reset();
    expect(env.step(0).truncated).toBe(false);
    expect(env.step(0).truncated).toBe(true);
    env.reset();
    expect(env.step(0).truncated).toBe(false);
    expect(() => new TimeLimit(new CounterEnv(), 0)).toThrow(/invalid maxEpisodeSteps 0/);
  });

  it('make applies it with the registered limit and keeps termination separate from truncation', () => {
    const env = make<Float32Array, number>('MountainCar-v0');
    env.reset({ seed: 0 });
    let result = env.step(1);
    let steps = 1;
    while (!result.truncated && !result.terminated) {
      result = env.step(1);
      steps++;
    }
    expect({ steps, terminated: result.terminated, truncated: result.truncated }).toEqual({
      steps: 200,
      terminated: false,
      truncated: true,
    });
  });
});

describe('RecordEpisodeStatistics', () => {
  it('puts { r, l, t } in info.episode at the end of each episode only', () => {
    const env = new RecordEpisodeStatistics(new CounterEnv(3));
    env.reset();
    expect(env.step(0).info.episode).toBeUndefined();
    expect(env.step(1).info.episode).toBeUndefined();
    const last = env.step(2);
    expect(last.info.t).toBe(3); // the inner info is kept
    const episode = last.info.episode as { r: number; l: number; t: number };
    expect({ r: episode.r, l: episode.l }).toEqual({ r: 1 + 2 + 3, l: 3 });
    expect(episode.t).toBeGreaterThanOrEqual(0);
    env.reset();
    env.step(0);
    env.step(0);
    env.step(0);
    expect(env.returnQueue).toEqual([6, 3]);
    expect(env.lengthQueue).toEqual([3, 3]);
    expect(env.episodeCount).toBe(2);
  });

  it('records truncated episodes too', () => {
    const env = new RecordEpisodeStatistics(new TimeLimit(new CounterEnv(100), 2));
    env.reset();
    env.step(0);
    expect(env.step(0).info.episode).toMatchObject({ r: 2, l: 2 });
  });
});

describe('NormalizeObservation', () => {
  it('normalises with running statistics, freezes, and saves/restores them', () => {
    const env = new NormalizeObservation(new CounterEnv(100));
    env.reset();
    for (let a = 0; a < 3; a++) env.step(a);
    // Observations seen: [0,0], [1,0], [2,1], [3,2]; the pseudo-count 1e-4 barely moves them.
    const mean0 = (0 + 1 + 2 + 3) / 4;
    expect(env.obsRms.mean[0]).toBeCloseTo(mean0, 3);
    expect(env.obsRms.var[0]).toBeCloseTo(
      ((0 - mean0) ** 2 + (1 - mean0) ** 2 + (2 - mean0) ** 2 + (3 - mean0) ** 2) / 4,
      3,
    );

    const saved = JSON.parse(JSON.stringify(env.getState()));
    env.updateRunningMean = false;
    const frozen = env.step(0).observation;
    expect(env.getState()).toEqual(saved); // frozen: statistics unchanged
    const expected = (4 - env.obsRms.mean[0]) / Math.sqrt(env.obsRms.var[0] + 1e-8);
    expect(frozen[0]).toBeCloseTo(expected, 5);

    const restored = new NormalizeObservation(new CounterEnv(100));
    restored.setState(saved);
    restored.updateRunningMean = false;
    restored.reset();
    for (let i = 0; i < 3; i++) restored.step(0);
    expect(restored.step(0).observation).toEqual(frozen);
    expect(() => restored.setState({ obsRms: { mean: [0], var: [1], count: 1 } })).toThrow(
      /invalid running mean\/std state/,
    );
  });

  it('merging a batch equals merging its samples one by one', () => {
    const a = new NormalizeObservation(new CounterEnv()).obsRms;
    const b = new NormalizeObservation(new CounterEnv()).obsRms;
    const batch = [1, 2, 3, -4, 5.5, 0.25];
    a.update(batch, 3);
    for (let i = 0; i < 3; i++) b.updateOne(batch.slice(2 * i, 2 * i + 2));
    for (let i = 0; i < 2; i++) {
      expect(a.mean[i]).toBeCloseTo(b.mean[i], 12);
      expect(a.var[i]).toBeCloseTo(b.var[i], 12);
    }
  });
});

describe('NormalizeReward', () => {
  it('divides rewards by the running std of the discounted return', () => {
    const env = new NormalizeReward(new CounterEnv(100), 0.5);
    env.reset();
    const scaled = [env.step(1).reward, env.step(1).reward];
    // Discounted returns: G1 = 2, G2 = 0.5·2 + 2 = 3. Running variance after each (pseudo-count 1e-4).
    const rms = new NormalizeReward(new CounterEnv(), 0.5).returnRms;
    rms.updateOne([2]);
    expect(scaled[0]).toBeCloseTo(2 / Math.sqrt(rms.var[0] + 1e-8), 6);
    rms.updateOne([3]);
    expect(scaled[1]).toBeCloseTo(2 / Math.sqrt(rms.var[0] + 1e-8), 6);
  });

  it('freezes and saves/restores its statistics', () => {
    const env = new NormalizeReward(new CounterEnv(100));
    env.reset();
    for (let i = 0; i < 5; i++) env.step(i % 3);
    const saved = JSON.parse(JSON.stringify(env.getState()));
    env.updateRunningMean = false;
    const r1 = env.step(2).reward;
    const r2 = env.step(2).reward;
    expect(r1).toBe(r2); // same raw reward, frozen scale
    expect(env.getState().returnRms).toEqual(saved.returnRms);

    const restored = new NormalizeReward(new CounterEnv(100));
    restored.setState(saved);
    restored.reset();
    restored.updateRunningMean = false;
    expect(restored.step(2).reward).toBe(r1);
  });

  it('restarts the discounted return after a termination', () => {
    const env = new NormalizeReward(new CounterEnv(2), 1);
    env.reset();
    env.step(0); // G = 1
    env.step(0); // G = 2, terminated: G restarts
    env.step(0); // G = 1 again (3 without the restart)
    // The statistics saw returns 1, 2, 1: mean 4/3 (the 1e-4 pseudo-count barely moves it).
    expect(env.returnRms.mean[0]).toBeCloseTo(4 / 3, 3);
  });
});

describe('action wrappers', () => {
  it('ClipAction clips into the bounds and widens the action space', () => {
    const inner = new EchoActionEnv();
    const env = new ClipAction(inner);
    env.reset();
    env.step([5, -3]);
    expect(inner.lastAction).toEqual([2, 0]);
    expect(env.actionSpace.contains([100, -100])).toBe(true);
  });

  it('RescaleAction maps [min, max] affinely onto the env bounds', () => {
    const inner = new EchoActionEnv();
    const env = new RescaleAction(inner, -1, 1);
    env.reset();
    env.step([-1, 1]);
    expect(inner.lastAction).toEqual([-2, 10]);
    env.step([0, 0]);
    expect(inner.lastAction).toEqual([0, 5]);
    expect(() => new RescaleAction(inner, 1, 1)).toThrow(/expected low <= high|expected finite min < max/);
  });

  it('Pendulum through RescaleAction([-1, 1]) receives torques in [-2, 2]', () => {
    const env = new RescaleAction(make<Float32Array, number[]>('Pendulum-v1'), -1, 1);
    env.reset({ seed: 0 });
    expect(env.actionSpace.toString()).toBe('Box(-1, 1, (1,), float32)');
    expect(() => env.step([0.5])).not.toThrow();
  });
});

describe('FlattenObservation', () => {
  it('flattens Dict observations into a float32 vector', () => {
    class DictEnv extends CounterEnv {
      // @ts-expect-error -- a Dict observation space on purpose
      override readonly observationSpace = new Dict({
        pos: new CounterEnv().observationSpace,
        mode: new Discrete(2),
      });
      override reset() {
        return { observation: { pos: Float32Array.of(1, 2), mode: 1 } as never, info: {} };
      }
    }
    const env = new FlattenObservation(new DictEnv());
    expect(env.observationSpace.shape).toEqual([4]);
    expect(Array.from(env.reset().observation)).toEqual([0, 1, 1, 2]); // 'mode' one-hot first (sorted keys)
  });
});
