import { describe, expect, it } from 'vitest';
import {
  type ClassicControlEnv,
  make,
  makeVec,
  RecordEpisodeStatistics,
  SyncVectorEnv,
} from '../src/internal.js';
import { CounterEnv, EchoActionEnv } from './helpers.js';

describe('SyncVectorEnv', () => {
  it('batches observations, rewards and flags into typed arrays', () => {
    const vec = new SyncVectorEnv([() => new CounterEnv(3), () => new CounterEnv(5)]);
    const { observations } = vec.reset({ seed: 0 });
    expect(observations).toBeInstanceOf(Float32Array);
    expect(observations.length).toBe(4);
    const step = vec.step([1, 2]);
    expect(Array.from(step.observations)).toEqual([1, 1, 1, 2]);
    expect(Array.from(step.rewards)).toEqual([2, 3]);
    expect(step.rewards).toBeInstanceOf(Float64Array);
    expect(step.terminated).toBeInstanceOf(Uint8Array);
    expect(step.truncated).toBeInstanceOf(Uint8Array);
    expect(step.info.finalObservation).toEqual([null, null]);
  });

  it('autoresets in the same step and keeps the final observation and info', () => {
    const vec = new SyncVectorEnv([() => new CounterEnv(2), () => new CounterEnv(3)]);
    vec.reset();
    vec.step([0, 0]);
    const step = vec.step([2, 1]); // sub-env 0 terminates at t = 2
    expect(Array.from(step.terminated)).toEqual([1, 0]);
    // Row 0 is already the first observation of the next episode; the last one is in finalObservation.
    expect(Array.from(step.observations.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(step.info.finalObservation[0] ?? [])).toEqual([2, 2]);
    expect(step.info.finalInfo[0]).toEqual({ t: 2 });
    expect(step.info.envInfos[0]).toEqual({ reset: true });
    expect(step.info.finalObservation[1]).toBeNull();
    expect(Array.from(step.observations.subarray(2, 4))).toEqual([2, 1]);
  });

  it('autoresets truncated episodes too, exposing the final observation for bootstrapping', () => {
    const vec = makeVec('Pendulum-v1', 2, { maxEpisodeSteps: 3 });
    vec.reset({ seed: 1 });
    vec.step(new Float32Array(2));
    vec.step(new Float32Array(2));
    const beforeEnd = (vec.envs[0].unwrapped as ClassicControlEnv<unknown>).observe();
    const step = vec.step(new Float32Array(2));
    expect(Array.from(step.truncated)).toEqual([1, 1]);
    expect(Array.from(step.terminated)).toEqual([0, 0]);
    expect(step.info.finalObservation[0]).not.toBeNull();
    expect(step.info.finalObservation[0]).not.toEqual(beforeEnd); // one more step was taken
    expect(Array.from(step.observations.subarray(0, 3))).not.toEqual(
      Array.from(step.info.finalObservation[0] ?? []),
    );
  });

  it('seeds sub-env i with seed + i (Gymnasium convention)', () => {
    const vec = makeVec('CartPole-v1', 3);
    const { observations } = vec.reset({ seed: 10 });
    for (let i = 0; i < 3; i++) {
      const single = make('CartPole-v1').reset({ seed: 10 + i }).observation as Float32Array;
      expect(Array.from(observations.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(single));
    }
    const again = makeVec('CartPole-v1', 3).reset({ seed: 10 }).observations;
    expect(again).toEqual(observations);
  });

  it('splits Box actions row-major across sub-envs', () => {
    const envs = [new EchoActionEnv(), new EchoActionEnv()];
    const vec = new SyncVectorEnv(envs.map((e) => () => e));
    vec.reset();
    vec.step(Float32Array.of(1, 2, 3, 4));
    expect(envs.map((e) => e.lastAction)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('passes the episode statistics of ended episodes through finalInfo', () => {
    const vec = new SyncVectorEnv([() => new RecordEpisodeStatistics(new CounterEnv(1))]);
    vec.reset();
    expect(vec.step([2]).info.finalInfo[0]?.episode).toMatchObject({ r: 3, l: 1 });
  });

  it('reuses its buffers when copy is false, and returns fresh arrays by default', () => {
    const shared = new SyncVectorEnv([() => new CounterEnv(9)], { copy: false });
    shared.reset();
    const a = shared.step([0]).observations;
    const b = shared.step([0]).observations;
    expect(a).toBe(b);
    const fresh = new SyncVectorEnv([() => new CounterEnv(9)]);
    fresh.reset();
    expect(fresh.step([0]).observations).not.toBe(fresh.step([0]).observations);
  });

  it('refuses bad use with clear errors', () => {
    const vec = makeVec('CartPole-v1', 2);
    expect(() => vec.step([0, 1])).toThrow(/step\(\) called before reset\(\)/);
    vec.reset({ seed: 0 });
    expect(() => vec.step([0])).toThrow(/expected 2 numbers \(2 envs × 1\)/);
    expect(() => vec.step([0, 2])).toThrow(/invalid action 2: expected an integer in \[0, 1\]/);
    expect(() => new SyncVectorEnv([])).toThrow(/non-empty array/);
    expect(() => makeVec('CartPole-v1', 0)).toThrow(/invalid numEnvs 0/);
  });
});
