import { describe, expect, it } from 'vitest';
import { makeVec, PPO, VecNormalize } from '../src/index.js';
import { CounterEnv } from './helpers.js';
import { SyncVectorEnv } from '../src/index.js';

describe('VecNormalize', () => {
  it('normalises observations with statistics shared by all sub-envs', () => {
    const vec = new VecNormalize(makeVec('Pendulum-v1', 4), { reward: false });
    vec.reset({ seed: 0 });
    const seen: number[] = [];
    for (let t = 0; t < 300; t++) {
      const { observations } = vec.step(new Float32Array(4));
      if (t >= 100) for (let i = 0; i < 4; i++) seen.push(observations[i * 3 + 2]); // θ̇
    }
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    const sd = Math.sqrt(seen.reduce((a, b) => a + (b - mean) ** 2, 0) / seen.length);
    expect(Math.abs(mean)).toBeLessThan(0.3);
    expect(sd).toBeGreaterThan(0.7);
    expect(sd).toBeLessThan(1.3);
    expect(vec.obsRms.count).toBeCloseTo(4 * 301, 0); // one update per row, all envs together
  });

  it('copy: false reuses its result buffers and gives the same numbers as fresh arrays', () => {
    const fresh = new VecNormalize(makeVec('Pendulum-v1', 3));
    const reused = new VecNormalize(makeVec('Pendulum-v1', 3, {}, { copy: false }), { copy: false });
    fresh.reset({ seed: 4 });
    reused.reset({ seed: 4 });
    const actions = Float32Array.of(0.5, -1, 2);
    let previous: { observations: Float32Array; rawRewards?: Float64Array } | null = null;
    for (let t = 0; t < 20; t++) {
      const a = fresh.step(actions);
      const b = reused.step(actions);
      expect(Array.from(b.observations)).toEqual(Array.from(a.observations));
      expect(Array.from(b.rewards)).toEqual(Array.from(a.rewards));
      expect(Array.from(b.rawRewards ?? [])).toEqual(Array.from(a.rawRewards ?? []));
      if (previous !== null) {
        expect(b.observations).toBe(previous.observations); // the same buffer, overwritten
        expect(b.rawRewards).toBe(previous.rawRewards);
      }
      previous = b;
    }
    expect(fresh.step(actions).observations).not.toBe(fresh.step(actions).observations);
  });

  it('scales rewards by the std of the discounted return (clipped) and keeps the raw rewards', () => {
    const vec = new VecNormalize(new SyncVectorEnv([() => new CounterEnv(100)]), {
      observation: false,
      gamma: 0.5,
    });
    vec.reset();
    // The very first reward meets an almost-zero variance and is clipped, as in SB3.
    expect(vec.step([1]).rewards[0]).toBe(10);
    let result = vec.step([1]);
    for (let t = 0; t < 50; t++) result = vec.step([t % 3]);
    const raw = (result.rawRewards ?? [])[0];
    expect(raw).toBe((49 % 3) + 1);
    expect(result.rewards[0]).toBeCloseTo(raw / Math.sqrt(vec.returnRms.var[0] + 1e-8), 10);
  });

  it('normalises final observations too, freezes, and restores its statistics', () => {
    const vec = new VecNormalize(makeVec('Pendulum-v1', 2, { maxEpisodeSteps: 5 }));
    vec.reset({ seed: 1 });
    let last = vec.step(new Float32Array(2));
    for (let t = 0; t < 4; t++) last = vec.step(new Float32Array(2));
    const final = last.info.finalObservation[0] as Float32Array;
    expect(final).not.toBeNull();
    expect(Math.max(...Array.from(final, Math.abs))).toBeLessThanOrEqual(10);
    const state = JSON.parse(JSON.stringify(vec.getState()));
    vec.training = false;
    vec.step(new Float32Array(2));
    expect(vec.getState()).toEqual(state);
    const copy = new VecNormalize(makeVec('Pendulum-v1', 2));
    copy.setState(state);
    expect(copy.getState()).toEqual(state);
  });

  it('PPO trains with normalize: true, reports raw returns and evaluates with the frozen statistics', () => {
    const ppo = new PPO({
      env: 'CartPole-v1',
      normalize: true,
      numEnvs: 2,
      nSteps: 64,
      batchSize: 64,
      nEpochs: 2,
      seed: 0,
    });
    const history = ppo.learn({ totalTimesteps: 512 });
    const withEpisodes = history.filter((m) => m.episodeReturnMean !== null);
    expect(withEpisodes.length).toBeGreaterThan(0);
    // In CartPole's own units (+1 per step) an episode's return equals its length.
    for (const m of withEpisodes) expect(m.episodeReturnMean).toBeCloseTo(m.episodeLengthMean as number, 10);
    expect(ppo.env).toBeInstanceOf(VecNormalize);
    const evaluation = ppo.evaluate(3);
    expect(evaluation.every((r) => Number.isInteger(r) && r >= 8)).toBe(true);
  });
});
