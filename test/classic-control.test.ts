/**
 * Classic control against Gymnasium 1.3.0's recorded trajectories (test/fixtures/gymnasium, see its README).
 *
 * Tolerance, as the fixture README states: |a − b| ≤ 1e-6·|b| + 1e-6 for numbers, booleans exactly. Open-loop
 * replay of chaotic Acrobot uses 1e-4 (one held-out episode diverges by ~5e-6 from 1e-14 per-step noise).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ClassicControlEnv, make } from '../src/internal.js';

interface Episode {
  seed: number;
  policy: string;
  num_steps: number;
  end: 'terminated' | 'truncated';
  return: number;
  reset_state: number[];
  reset_state_dtype: string;
  step_state_dtype: string;
  reset_observation: number[];
  actions: (number | number[])[];
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
  states: number[][];
}

interface Fixture {
  env_id: string;
  max_episode_steps: number;
  state_layout: string[];
  observation_space: { shape: number[]; low: (number | string)[]; high: (number | string)[] };
  episodes: Episode[];
}

const ENV_IDS = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1'];

function loadFixture(id: string): Fixture {
  return JSON.parse(
    readFileSync(new URL(`./fixtures/gymnasium/${id}.json`, import.meta.url), 'utf8'),
  ) as Fixture;
}

/** Collects mismatches instead of failing at the first, so a failure shows how widespread it is. */
class Comparator {
  readonly mismatches: string[] = [];
  constructor(private readonly tolerance: number) {}

  numbers(where: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    if (actual.length !== expected.length) {
      this.mismatches.push(`${where}: length ${actual.length} ≠ ${expected.length}`);
      return;
    }
    for (let i = 0; i < expected.length; i++) this.number(`${where}[${i}]`, actual[i], expected[i]);
  }

  number(where: string, actual: number, expected: number): void {
    if (!(Math.abs(actual - expected) <= this.tolerance * Math.abs(expected) + this.tolerance)) {
      this.mismatches.push(`${where}: got ${actual}, expected ${expected}`);
    }
  }

  exact(where: string, actual: unknown, expected: unknown): void {
    if (actual !== expected)
      this.mismatches.push(`${where}: got ${String(actual)}, expected ${String(expected)}`);
  }

  assertNone(): void {
    expect(this.mismatches.slice(0, 10), `${this.mismatches.length} mismatches`).toEqual([]);
  }
}

type Action = number | Float32Array;
const toAction = (a: number | number[]): Action => (typeof a === 'number' ? a : Float32Array.from(a));
/** The state as Gymnasium holds it: a float32 array where its dtype says so. */
const asState = (values: number[], dtype: string) =>
  dtype.includes('float32') ? Float32Array.from(values) : values;

describe.each(ENV_IDS)('%s matches Gymnasium 1.3.0', (id) => {
  const fixture = loadFixture(id);

  it('has the same spaces and state layout', () => {
    const env = make(id);
    const base = env.unwrapped as ClassicControlEnv<unknown>;
    expect([...base.stateLayout]).toEqual(fixture.state_layout);
    const { shape, low, high } = env.observationSpace.toJSON() as typeof fixture.observation_space;
    expect({ shape, low, high }).toEqual({
      shape: fixture.observation_space.shape,
      low: fixture.observation_space.low,
      high: fixture.observation_space.high,
    });
    expect(env.spec?.maxEpisodeSteps).toBe(fixture.max_episode_steps);
  });

  it('maps every reset state to its reset observation', () => {
    const compare = new Comparator(1e-6);
    const base = make(id).unwrapped as ClassicControlEnv<unknown>;
    fixture.episodes.forEach((ep, e) => {
      base.state = asState(ep.reset_state, ep.reset_state_dtype);
      compare.numbers(`episode ${e} reset observation`, base.observe(), ep.reset_observation);
    });
    compare.assertNone();
  });

  it('matches every recorded step when replayed from the recorded state (per-step replay)', () => {
    const compare = new Comparator(1e-6);
    let steps = 0;
    fixture.episodes.forEach((ep, e) => {
      const env = make<Float32Array, Action>(id);
      env.reset({ seed: ep.seed });
      const base = env.unwrapped as ClassicControlEnv<unknown>;
      for (let i = 0; i < ep.num_steps; i++) {
        base.state =
          i === 0
            ? asState(ep.reset_state, ep.reset_state_dtype)
            : asState(ep.states[i - 1], ep.step_state_dtype);
        const result = env.step(toAction(ep.actions[i]));
        const where = `episode ${e} (seed ${ep.seed}, ${ep.policy}) step ${i}`;
        compare.numbers(`${where} state`, base.state ?? [], ep.states[i]);
        compare.numbers(`${where} observation`, result.observation, ep.observations[i]);
        compare.number(`${where} reward`, result.reward, ep.rewards[i]);
        compare.exact(`${where} terminated`, result.terminated, ep.terminated[i]);
        compare.exact(`${where} truncated`, result.truncated, ep.truncated[i]);
        steps++;
      }
    });
    compare.assertNone();
    expect(steps).toBe(fixture.episodes.reduce((n, ep) => n + ep.num_steps, 0));
  });

  it('matches every recorded step open-loop (from the reset state, applying all actions)', () => {
    const compare = new Comparator(id === 'Acrobot-v1' ? 1e-4 : 1e-6);
    fixture.episodes.forEach((ep, e) => {
      const env = make<Float32Array, Action>(id);
      env.reset({ seed: ep.seed });
      const base = env.unwrapped as ClassicControlEnv<unknown>;
      base.state = asState(ep.reset_state, ep.reset_state_dtype);
      let episodeReturn = 0;
      for (let i = 0; i < ep.num_steps; i++) {
        const result = env.step(toAction(ep.actions[i]));
        const where = `episode ${e} (seed ${ep.seed}, ${ep.policy}) step ${i}`;
        compare.numbers(`${where} observation`, result.observation, ep.observations[i]);
        compare.number(`${where} reward`, result.reward, ep.rewards[i]);
        compare.exact(`${where} terminated`, result.terminated, ep.terminated[i]);
        compare.exact(`${where} truncated`, result.truncated, ep.truncated[i]);
        episodeReturn += result.reward;
      }
      compare.number(`episode ${e} return`, episodeReturn, ep.return);
    });
    compare.assertNone();
  });

  it('samples reset states from the documented distribution, deterministically per seed', () => {
    const env = make<Float32Array, Action>(id);
    const base = env.unwrapped as ClassicControlEnv<unknown>;
    const first = env.reset({ seed: 7 }).observation;
    const state = base.state;
    expect(env.reset({ seed: 7 }).observation).toEqual(first);
    expect(base.state).toEqual(state);
    expect(env.reset({ seed: 8 }).observation).not.toEqual(first);
  });
});

describe('reset distributions', () => {
  const sample = (id: string, n: number) => {
    const env = make(id);
    const base = env.unwrapped as ClassicControlEnv<unknown>;
    return Array.from({ length: n }, (_, i) => {
      env.reset({ seed: i });
      return base.state ?? [];
    });
  };

  it('CartPole: each component uniform in [-0.05, 0.05]', () => {
    const states = sample('CartPole-v1', 200).flat();
    expect(Math.min(...states)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...states)).toBeLessThan(0.05);
    // Uniform(-0.05, 0.05) has mean 0 and sd 0.0289; the mean of 800 draws has standard error 0.00102.
    const mean = states.reduce((a, b) => a + b, 0) / states.length;
    expect(Math.abs(mean)).toBeLessThan(4 * 0.00102);
  });

  it('Acrobot: float32-valued components in [-0.1, 0.1]', () => {
    for (const s of sample('Acrobot-v1', 50)) {
      for (const v of s) {
        expect(Math.fround(v)).toBe(v);
        expect(Math.abs(v)).toBeLessThanOrEqual(0.1);
      }
    }
  });

  it('MountainCar (both): position in [-0.6, -0.4), velocity 0', () => {
    for (const id of ['MountainCar-v0', 'MountainCarContinuous-v0']) {
      for (const [p, v] of sample(id, 50)) {
        expect(p).toBeGreaterThanOrEqual(-0.6);
        expect(p).toBeLessThan(-0.4);
        expect(v).toBe(0);
      }
    }
  });

  it('Pendulum: θ in [-π, π), θ̇ in [-1, 1)', () => {
    for (const [th, thdot] of sample('Pendulum-v1', 50)) {
      expect(Math.abs(th)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(thdot)).toBeLessThanOrEqual(1);
    }
  });

  it('reset options { low, high } narrow the reset bounds', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 1, options: { low: -0.001, high: 0.001 } });
    for (const v of (env.unwrapped as ClassicControlEnv<unknown>).state ?? [])
      expect(Math.abs(v)).toBeLessThanOrEqual(0.001);
    expect(() => env.reset({ options: { low: 1, high: -1 } })).toThrow(/invalid reset bounds low=1, high=-1/);
  });
});

describe('environment options', () => {
  it('CartPole suttonBartoReward: 0 per step, -1 on termination', () => {
    const env = make<Float32Array, number>('CartPole-v1', { suttonBartoReward: true });
    env.reset({ seed: 0 });
    (env.unwrapped as ClassicControlEnv<unknown>).state = [0, 0, 0.2, 0.5];
    const fall = env.step(1);
    expect(fall.terminated).toBe(true);
    expect(fall.reward).toBe(-1);
  });

  it('CartPole gives no reward for steps after termination (Gymnasium: steps_beyond_terminated)', () => {
    const env = make<Float32Array, number>('CartPole-v1');
    env.reset({ seed: 0 });
    (env.unwrapped as ClassicControlEnv<unknown>).state = [0, 0, 0.2, 0.5];
    expect(env.step(1).reward).toBe(1);
    expect(env.step(1).reward).toBe(0);
  });

  it('Pendulum g changes the dynamics', () => {
    const step = (g: number) => {
      const env = make<Float32Array, number[]>('Pendulum-v1', { g });
      env.reset({ seed: 0 });
      (env.unwrapped as ClassicControlEnv<unknown>).state = [1, 0];
      return env.step([0]).observation[2];
    };
    // θ̇' = (3g / 2)·sin θ·dt with θ̇ = 0, u = 0.
    expect(step(10)).toBeCloseTo(15 * Math.sin(1) * 0.05, 6);
    expect(step(5)).toBeCloseTo(7.5 * Math.sin(1) * 0.05, 6);
  });

  it('maxEpisodeSteps overrides the registered limit', () => {
    const env = make<Float32Array, number[]>('Pendulum-v1', { maxEpisodeSteps: 3 });
    env.reset({ seed: 0 });
    expect([env.step([0]).truncated, env.step([0]).truncated, env.step([0]).truncated]).toEqual([
      false,
      false,
      true,
    ]);
  });
});
