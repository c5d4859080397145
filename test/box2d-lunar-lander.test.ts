/**
 * LunarLander-v3 against Gymnasium 1.3.0 + pybox2d 2.3.10 (test/fixtures/box2d, see its README).
 *
 * Tolerances, from the fixture README: a reset rebuilt from the recorded draws matches the observation within 1e-5
 * and the bodies within 1e-5·(1+|x|) (pybox2d is float32, planck float64: only rounding differs after one step);
 * (velocities within 2e-5·(1+|x|): the 180 velocity iterations of the joint solver accumulate float32 rounding in
 * pybox2d; measured worst 1.3e-5, a leg's ω in the wind episodes); an open-loop replay of recorded actions stays
 * within 1e-4 on the observation for the 60 recorded steps (pybox2d itself, perturbed by 1e-6, first exceeds 1e-4
 * at step 57 at the earliest: divergence.json), and then ends on the same step with the same branch. Statistics: heuristic mean returns within 2 standard errors of the difference
 * of means; random-policy returns and lengths pass a two-sample Kolmogorov–Smirnov test at p > 0.01.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkEnv,
  type Env,
  LunarLanderEnv,
  lunarLanderHeuristic,
  lunarLanderShaping,
  lunarLanderTerrain,
  loadEnvEngine,
  make,
  restoreInto,
  snapshotOf,
} from '../src/internal.js';
import {
  bodyStates,
  box2dFixture,
  type EpisodePolicy,
  maxAbsDiff,
  mean,
  runEpisodes,
  variance,
} from './box2d-helpers.js';
import { ksTwoSample } from './stats.js';

interface RecordedEpisode {
  variant: 'discrete' | 'continuous';
  seed: number;
  make_kwargs: { continuous?: boolean; enable_wind?: boolean };
  policy: string;
  reset_draws: {
    terrain_height_draws: number[];
    initial_force: [number, number];
    wind_idx: number | null;
    torque_idx: number | null;
    reset_step_dispersion_draws: [number, number];
  };
  chunk_x: number[];
  smooth_y: number[];
  reset_observation: number[];
  reset_shaping: number;
  reset_bodies: number[][];
  num_steps: number;
  end_branch: string;
  ret: number;
  first_leg_contact: number | null;
  actions: (number | number[])[];
  dispersion_draws: [number, number][];
  observations: number[][];
  rewards: number[];
}

interface RecordedStatistics {
  env_id: string;
  make_kwargs: { continuous?: boolean; enable_wind?: boolean };
  policy: string;
  episodes: number;
  return_mean: number;
  return_std: number;
  returns?: number[];
  lengths?: number[];
}

const EPISODES = (box2dFixture('lunar-lander-episodes.json') as { episodes: RecordedEpisode[] }).episodes;
const STATISTICS = (box2dFixture('lunar-lander-statistics.json') as { variants: RecordedStatistics[] })
  .variants;

beforeAll(() => loadEnvEngine('LunarLander-v3'));

const label = (e: RecordedEpisode): string =>
  `${e.variant} ${e.policy} seed ${e.seed}${e.make_kwargs.enable_wind ? ' + wind' : ''}`;

/** An env whose generator replays the recorded dispersion draws (the reset draws are fed to resetFromDraws). */
function replayEnv(e: RecordedEpisode): LunarLanderEnv {
  const env = new LunarLanderEnv({
    continuous: e.make_kwargs.continuous ?? false,
    enableWind: e.make_kwargs.enable_wind ?? false,
  });
  const draws = [...e.reset_draws.reset_step_dispersion_draws, ...e.dispersion_draws.flat()];
  let next = 0;
  const scripted = {
    uniform: (low: number, high: number): number => {
      if (low !== -1 || high !== 1) throw new Error(`unexpected draw uniform(${low}, ${high})`);
      if (next >= draws.length) throw new Error('more dispersion draws than recorded');
      return draws[next++];
    },
  };
  Object.defineProperty(env, 'rng', { get: () => scripted });
  return env;
}

function resetFromRecording(env: LunarLanderEnv, e: RecordedEpisode): Float32Array {
  return env.resetFromDraws({
    terrainHeights: e.reset_draws.terrain_height_draws,
    initialForce: e.reset_draws.initial_force,
    windIdx: e.reset_draws.wind_idx,
    torqueIdx: e.reset_draws.torque_idx,
  }).observation;
}

describe('LunarLander-v3: reset rebuilt from the recorded draws', () => {
  it.each(EPISODES.map((e) => [label(e), e] as const))('%s', (_name, e) => {
    const terrain = lunarLanderTerrain(e.reset_draws.terrain_height_draws);
    expect(terrain.chunkX).toEqual(e.chunk_x);
    expect(terrain.smoothY).toEqual(e.smooth_y);

    const env = replayEnv(e);
    const observation = resetFromRecording(env, e);
    expect(maxAbsDiff(observation, e.reset_observation)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(observation.slice(6))).toEqual(e.reset_observation.slice(6));
    bodyStates([env.physics!.lander, ...env.physics!.legs]).forEach((body, k) =>
      body.forEach((x, j) => {
        const recorded = e.reset_bodies[k][j];
        const tolerance = (j < 5 ? 1e-5 : 2e-5) * (1 + Math.abs(recorded));
        expect(Math.abs(x - recorded), `body ${k} component ${j}`).toBeLessThanOrEqual(tolerance);
      }),
    );
  });
});

describe('LunarLander-v3: open-loop replay of recorded actions', () => {
  it.each(EPISODES.map((e) => [label(e), e] as const))('%s', (_name, e) => {
    const env = replayEnv(e);
    resetFromRecording(env, e);
    let steps = 0;
    let last = { terminated: false, reward: 0 };
    let firstLegContact: number | null = null;
    for (const action of e.actions) {
      const result = env.step(action);
      if (steps < e.observations.length) {
        expect(maxAbsDiff(result.observation, e.observations[steps]), `step ${steps}`).toBeLessThanOrEqual(
          1e-4,
        );
        expect(Math.abs(result.reward - e.rewards[steps]), `reward ${steps}`).toBeLessThanOrEqual(1e-2);
      }
      if (firstLegContact === null && (result.observation[6] || result.observation[7]))
        firstLegContact = steps;
      steps += 1;
      last = result;
      if (result.terminated) break;
    }
    // Coarse facts past the float32-level agreement: the same length, end branch and first touch-down (±2 steps).
    expect(steps).toBe(e.num_steps);
    const branch = !last.terminated
      ? 'time_limit'
      : last.reward === 100
        ? 'not_awake'
        : env.gameOver
          ? 'game_over'
          : 'out_of_bounds';
    expect(branch).toBe(e.end_branch);
    if (e.first_leg_contact === null) expect(firstLegContact).toBeNull();
    else expect(Math.abs(firstLegContact! - e.first_leg_contact)).toBeLessThanOrEqual(2);
  });
});

/** Gymnasium's heuristic, or its uniform random policy (float32 throttles when continuous). */
function landerPolicy(policy: 'random' | 'heuristic', continuous: boolean): EpisodePolicy {
  return (actionRng) => (observation) =>
    policy === 'heuristic'
      ? lunarLanderHeuristic(observation, continuous)
      : continuous
        ? [Math.fround(actionRng.uniform(-1, 1)), Math.fround(actionRng.uniform(-1, 1))]
        : actionRng.integer(0, 4);
}

function gymnasiumStatistics(continuous: boolean, policy: string, wind = false): RecordedStatistics {
  const found = STATISTICS.find(
    (v) =>
      v.policy === policy &&
      !!v.make_kwargs.continuous === continuous &&
      !!v.make_kwargs.enable_wind === wind,
  );
  if (found === undefined) throw new Error(`no statistics for ${policy}`);
  return found;
}

describe('LunarLander-v3: statistics against Gymnasium (1,000 episodes per pair, seeds 1000–1999)', () => {
  // Sample sizes: enough that 2 standard errors of the difference of means are ~8% of Gymnasium's standard
  // deviation or less, within a few seconds (about 250 steps per heuristic episode, ~10k steps/s).
  it.each([
    [false, 150],
    [true, 100],
  ] as const)(
    'heuristic mean return (continuous: %s, %i episodes) within 2 standard errors',
    (continuous, n) => {
      const reference = gymnasiumStatistics(continuous, 'll_heuristic');
      const env = make<Float32Array, unknown>('LunarLander-v3', { continuous });
      const { returns } = runEpisodes(env, landerPolicy('heuristic', continuous), n, 50_000);
      const standardError = Math.sqrt(variance(returns) / n + reference.return_std ** 2 / reference.episodes);
      expect(Math.abs(mean(returns) - reference.return_mean)).toBeLessThanOrEqual(2 * standardError);
      expect(mean(returns)).toBeGreaterThan(200); // it lands
    },
  );

  it('wind: random-policy mean return (300 episodes) within 2 standard errors', () => {
    const reference = gymnasiumStatistics(false, 'uniform_random', true);
    const env = make<Float32Array, unknown>('LunarLander-v3', { enableWind: true });
    const { returns } = runEpisodes(env, landerPolicy('random', false), 300, 70_000);
    const standardError = Math.sqrt(variance(returns) / 300 + reference.return_std ** 2 / reference.episodes);
    expect(Math.abs(mean(returns) - reference.return_mean)).toBeLessThanOrEqual(2 * standardError);
  });

  it.each([
    [false, 300],
    [true, 300],
  ] as const)(
    'random-policy returns and lengths (continuous: %s, %i episodes): KS p > 0.01',
    (continuous, n) => {
      const reference = gymnasiumStatistics(continuous, 'uniform_random');
      const env = make<Float32Array, unknown>('LunarLander-v3', { continuous });
      const { returns, lengths } = runEpisodes(env, landerPolicy('random', continuous), n, 60_000);
      expect(ksTwoSample(returns, reference.returns!).pValue).toBeGreaterThan(0.01);
      expect(ksTwoSample(lengths, reference.lengths!).pValue).toBeGreaterThan(0.01);
    },
  );
});

describe('LunarLander-v3: env contract, termination branches, checkpoints', () => {
  function freshLander(): LunarLanderEnv {
    const env = new LunarLanderEnv();
    env.reset({ seed: 7 });
    return env;
  }

  it('checkEnv passes for both ids and the wind variant', () => {
    for (const [id, options] of [
      ['LunarLander-v3', {}],
      ['LunarLanderContinuous-v3', {}],
      ['LunarLander-v3', { enableWind: true }],
    ] as const) {
      const report = checkEnv(make(id, options));
      expect(report.errors, id).toEqual([]);
    }
  });

  it('mass data equal pybox2d’s (world.bodies of the fixture; planck 1.4 put the lander’s centroid at its vertex mean)', () => {
    const { lander, legs } = freshLander().physics!;
    const close = (x: number, recorded: number): void =>
      expect(Math.abs(x - recorded)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(recorded)));
    // pybox2d: mass, inertia about the origin, localCenter (float32).
    close(lander.getMass(), 4.816666603088379);
    close(lander.getInertia(), 0.8333148956298828);
    close(lander.getLocalCenter().x, 0);
    close(lander.getLocalCenter().y, 0.10130719095468521);
    for (const leg of legs) {
      close(leg.getMass(), 0.07111112028360367);
      close(leg.getInertia(), 0.0017909470479935408);
    }
  });

  it('registers Gymnasium’s spaces, limits and thresholds', () => {
    const discrete = make('LunarLander-v3');
    expect(discrete.spec).toMatchObject({ maxEpisodeSteps: 1000, rewardThreshold: 200 });
    expect(discrete.actionSpace.toString()).toBe('Discrete(4)');
    const continuous = make('LunarLanderContinuous-v3');
    expect(continuous.actionSpace.toString()).toContain('(2,)');
    expect(make('LunarLanderContinuous-v3', { continuous: false }).actionSpace.toString()).toBe(
      'Discrete(4)',
    );
  });

  it('refuses invalid options in one line', () => {
    expect(() => make('LunarLander-v3', { gravity: -13 })).toThrow(/gravity/);
    expect(() => make('LunarLander-v3', { windpower: 3 })).toThrow(/unknown option 'windpower'/);
  });

  const bodiesOf = (env: LunarLanderEnv) => [env.physics!.lander, ...env.physics!.legs];
  /** Moves the lander with its legs (moving the lander alone, the leg joints would pull it back). */
  function moveLander(env: LunarLanderEnv, dx: number, dy: number): void {
    for (const body of bodiesOf(env)) {
      const p = body.getPosition();
      body.setTransform({ x: p.x + dx, y: p.y + dy }, body.getAngle());
    }
  }

  it('crash: the lander body touching the moon gives −100 and terminates (game_over)', () => {
    const env = freshLander();
    const { lander } = env.physics!;
    lander.setTransform({ x: 10, y: 3.33 + 0.6 }, Math.PI); // upside down, just above the pad
    lander.setLinearVelocity({ x: 0, y: -3 });
    let result = env.step(0);
    for (let i = 0; i < 20 && !result.terminated; i++) result = env.step(0);
    expect(result.terminated).toBe(true);
    expect(result.reward).toBe(-100);
    expect(env.gameOver).toBe(true);
  });

  it('out of bounds: |x| ≥ 1 gives −100 and terminates without a crash', () => {
    const env = freshLander();
    moveLander(env, -9.99, -3); // s0 = (x − 10)/10 ≈ −0.999, 3 m lower, heading out at 5 m/s
    for (const body of bodiesOf(env)) body.setLinearVelocity({ x: -5, y: 0 });
    const result = env.step(0);
    expect(result.observation[0]).toBeLessThanOrEqual(-1);
    expect(result).toMatchObject({ terminated: true, reward: -100 });
    expect(env.gameOver).toBe(false);
  });

  it('not awake: a sleeping lander gives +100, which wins over out of bounds (checked second)', () => {
    const env = freshLander();
    const { lander, legs } = env.physics!;
    for (const body of [lander, ...legs]) body.setAwake(false);
    expect(env.step(0)).toMatchObject({ terminated: true, reward: 100 });

    const outside = freshLander();
    moveLander(outside, -11, -3);
    for (const body of bodiesOf(outside)) body.setAwake(false);
    const result = outside.step(0);
    expect(result.observation[0]).toBeLessThan(-1);
    expect(result).toMatchObject({ terminated: true, reward: 100 });
  });

  it('time limit: make() truncates at maxEpisodeSteps (1000 registered; 30 here)', () => {
    const env = make<Float32Array, number>('LunarLander-v3', { maxEpisodeSteps: 30 });
    env.reset({ seed: 4 });
    let result = env.step(0);
    for (let i = 1; i < 30; i++) result = env.step(2);
    expect(result).toMatchObject({ truncated: true, terminated: false });
  });

  it('shaping and reward follow Gymnasium: reward = Δshaping − fuel', () => {
    const e = EPISODES[0];
    const env = replayEnv(e);
    const observation = resetFromRecording(env, e);
    expect(Math.abs(lunarLanderShaping(Array.from(observation, Number)) - e.reset_shaping)).toBeLessThan(
      1e-3,
    );
  });

  it('snapshot/restore resumes exactly (rebuild and replay), through the wrappers', () => {
    for (const continuous of [false, true]) {
      const env = make<Float32Array, unknown>('LunarLander-v3', { continuous, enableWind: true });
      let { observation } = env.reset({ seed: 11 });
      for (let i = 0; i < 40; i++)
        observation = env.step(lunarLanderHeuristic(observation, continuous)).observation;
      const snapshot = JSON.parse(JSON.stringify(snapshotOf(env)));
      const tail = (target: Env<Float32Array, unknown>, start: Float32Array): number[][] => {
        const out: number[][] = [];
        let o = start;
        for (let i = 0; i < 30; i++) {
          const r = target.step(lunarLanderHeuristic(o, continuous));
          out.push([...r.observation, r.reward]);
          o = r.observation;
          if (r.terminated || r.truncated) break;
        }
        return out;
      };
      const expected = tail(env, observation);
      const resumed = make<Float32Array, unknown>('LunarLander-v3', { continuous, enableWind: true });
      restoreInto(resumed, snapshot);
      expect(tail(resumed, observation)).toEqual(expected);
    }
  });

  it("render(): Gymnasium's 600 × 400 picture — black sky, white ground, purple lander, yellow flags", () => {
    const env = make<Float32Array, number>('LunarLander-v3', { renderMode: 'rgb_array' });
    expect(env.render!()).toBeNull(); // before reset
    env.reset({ seed: 2 });
    for (let i = 0; i < 20; i++) env.step(0); // the lander starts at the top edge, half out of the picture
    const frame = env.render!()!;
    expect([frame.width, frame.height, frame.data.length]).toEqual([600, 400, 600 * 400 * 3]);
    const pixel = (x: number, y: number): number[] => {
      const i = (Math.round(y) * frame.width + Math.round(x)) * 3;
      return Array.from(frame.data.subarray(i, i + 3));
    };
    const { lander } = (env.unwrapped as LunarLanderEnv).physics!;
    const centre = lander.getWorldCenter();
    expect(pixel(centre.x * 30, 400 - centre.y * 30)).toEqual([128, 102, 230]);
    expect(pixel(5, 5)).toEqual([0, 0, 0]); // sky
    expect(pixel(300, 399)).toEqual([255, 255, 255]); // ground under the pad
    expect(pixel(8 * 30 + 5, 400 - (10 / 3) * 30 - 45)).toEqual([204, 204, 0]); // left flag
    expect(make('LunarLander-v3').render!()).toBeNull(); // no render mode
  });

  it('rejects a step before reset and invalid actions in one line', () => {
    expect(() => new LunarLanderEnv().step(0)).toThrow(/before reset/);
    const env = freshLander();
    expect(() => env.step(4)).toThrow(/invalid action 4/);
    const continuous = new LunarLanderEnv({ continuous: true });
    continuous.reset({ seed: 1 });
    expect(() => continuous.step([0, Number.NaN])).toThrow(/NaN/);
  });
});
