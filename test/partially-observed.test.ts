/**
 * The partially observed tasks (rl-zoo 2.3's MaskVelocityWrapper: velocities multiplied by 0, shape kept) and
 * the RepeatFirst memory task, which no feed-forward policy can solve.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Box, loadEnvEngine, make, RepeatFirstEnv, Rng } from '../src/internal.js';

beforeAll(() => loadEnvEngine('LunarLander-v3'));

const cases: [string, string, number[], number][] = [
  ['CartPoleNoVel-v1', 'CartPole-v1', [1, 3], 500],
  ['PendulumNoVel-v1', 'Pendulum-v1', [2], 200],
  ['MountainCarNoVel-v0', 'MountainCar-v0', [1], 200],
  ['MountainCarContinuousNoVel-v0', 'MountainCarContinuous-v0', [1], 999],
  ['LunarLanderNoVel-v3', 'LunarLander-v3', [2, 3, 5], 1000],
  ['LunarLanderContinuousNoVel-v3', 'LunarLanderContinuous-v3', [2, 3, 5], 1000],
];

describe.each(cases)('%s', (id, fullId, velocityIndices, limit) => {
  it(`equals ${fullId} step for step with components ${velocityIndices.join(', ')} multiplied by 0`, () => {
    const masked = make<Float32Array, unknown>(id);
    const full = make<Float32Array, unknown>(fullId);
    expect(masked.spec?.maxEpisodeSteps).toBe(limit);
    expect((masked.observationSpace as Box).toString()).toBe((full.observationSpace as Box).toString());
    const check = (a: Float32Array, b: Float32Array) => {
      expect(a.length).toBe(b.length);
      for (let i = 0; i < a.length; i++) {
        if (velocityIndices.includes(i))
          expect(a[i]).toBe(b[i] * 0); // −0 for a negative velocity, as NumPy
        else expect(a[i]).toBe(b[i]);
      }
    };
    check(masked.reset({ seed: 11 }).observation, full.reset({ seed: 11 }).observation);
    const rng = Rng.fromSeed(3);
    let sawVelocity = false;
    for (let step = 0; step < 60; step++) {
      const action = full.actionSpace.sample(rng);
      const a = masked.step(action);
      const b = full.step(action);
      check(a.observation, b.observation);
      for (const i of velocityIndices) sawVelocity ||= b.observation[i] !== 0;
      expect([a.reward, a.terminated, a.truncated]).toEqual([b.reward, b.terminated, b.truncated]);
      if (b.terminated || b.truncated) {
        check(masked.reset().observation, full.reset().observation);
      }
    }
    expect(sawVelocity).toBe(true); // the mask really removed something
  });
});

describe('RepeatFirst-v0', () => {
  it('shows the cue once, then blanks, then the query; rewards only the answer; terminates after it', () => {
    const env = make<Float32Array, number>('RepeatFirst-v0', { cues: 3, delay: 4 });
    const { observation } = env.reset({ seed: 1 });
    const cue = (env.unwrapped as RepeatFirstEnv).currentCue;
    expect([...observation]).toEqual([0, 1, 2].map((c) => (c === cue ? 1 : 0)).concat(0));
    for (let t = 1; t <= 4; t++) {
      const result = env.step(cue); // the right answer too early earns nothing
      expect(result.reward).toBe(0);
      expect(result.terminated).toBe(false);
      expect([...result.observation]).toEqual(t === 4 ? [0, 0, 0, 1] : [0, 0, 0, 0]);
    }
    const answer = env.step(cue);
    expect(answer.reward).toBe(1);
    expect(answer.terminated).toBe(true);
  });

  it('is solvable only with memory: every feed-forward policy earns 1/n in expectation, a remembering one 1', () => {
    const cues = 4;
    const delay = 3;
    const env = new RepeatFirstEnv({ cues, delay });
    const episodes = 4000;
    // The observations after the first are the same whatever the cue, so a feed-forward policy's answer
    // distribution π(· | o_query) cannot depend on it: E[return] = Σ_c P(c)·π(c | o_query). With uniform cues
    // that is 1/n for every π; the best feed-forward return is therefore 1/n = 0.25 < 1.
    const queryObservations = new Set<string>();
    const counts = new Array<number>(cues).fill(0);
    let memoryReturn = 0;
    const constantReturns = new Array<number>(cues).fill(0);
    for (let e = 0; e < episodes; e++) {
      const first = env.reset({ seed: 1000 + e }).observation;
      const remembered = first.indexOf(1); // what a memory policy keeps
      counts[remembered]++;
      let o = first;
      for (let t = 0; t < delay; t++) o = env.step(0).observation;
      queryObservations.add(o.join(','));
      memoryReturn += env.step(remembered).reward;
      for (let a = 0; a < cues; a++) constantReturns[a] += a === remembered ? 1 : 0;
    }
    expect([...queryObservations]).toEqual(['0,0,0,0,1']);
    expect(memoryReturn / episodes).toBe(1);
    // Each constant answer earns P(cue = a); cues are uniform: within 4 standard errors √(p(1−p)/N) ≈ 0.0068.
    const se = Math.sqrt((0.25 * 0.75) / episodes);
    for (const r of constantReturns) expect(Math.abs(r / episodes - 1 / cues)).toBeLessThan(4 * se);
    const bestFeedForward = Math.max(...counts) / episodes;
    expect(bestFeedForward).toBeLessThan(1 / cues + 4 * se);
    expect(bestFeedForward).toBeLessThan(1);
  });

  it('refuses bad options in one line', () => {
    expect(() => make('RepeatFirst-v0', { cues: 1 })).toThrow(/RepeatFirst: option 'cues' = 1 is invalid/);
    expect(() => make('RepeatFirst-v0', { dealy: 3 })).toThrow(/unknown option 'dealy'/);
  });
});
