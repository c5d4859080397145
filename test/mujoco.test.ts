/**
 * MuJoCo v5 envs against Gymnasium 1.3.0 on MuJoCo 3.14 (test/fixtures/mujoco, recorded per step): every
 * recorded step is replayed from its recorded state (set qpos/qvel → mj_forward, step with the recorded action)
 * and the next state, observation, reward, every info term and the termination flag are compared with the
 * tolerance the fixtures' agreement study recommends, |a − b| ≤ 1e-5·(1 + |b|) (worst seen there: 5e-7).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HopperEnv, Walker2dEnv } from '../src/internal.js';
import {
  AntEnv,
  checkEnv,
  controlCost,
  compileModel,
  contactMarginRule,
  doubleGeomMargins,
  geomMargins,
  loadMujoco,
  make,
  type MujocoEnv,
  PolicygradError,
} from '../src/internal.js';

const TOLERANCE = 1e-5;

interface Episode {
  seed: number;
  num_steps: number;
  qpos: number[][];
  qvel: number[][];
  actions: number[][];
  observations: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
  infos: Record<string, number[]>;
  final_qpos: number[];
  final_qvel: number[];
  main_body_xy_before?: number[][];
}

function fixture(id: string): { episodes: Episode[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/mujoco/${id}.json`, import.meta.url), 'utf8'));
}

function worst(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let w = 0;
  for (let i = 0; i < expected.length; i++) {
    w = Math.max(w, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  }
  return w;
}

beforeAll(async () => {
  await loadMujoco();
});

const IDS = [
  'HalfCheetah-v5',
  'Hopper-v5',
  'Walker2d-v5',
  'Ant-v5',
  'InvertedPendulum-v5',
  'InvertedDoublePendulum-v5',
  'Swimmer-v5',
  'Reacher-v5',
];

describe.each(IDS)('%s replays every recorded step of Gymnasium 1.3.0', (id) => {
  it('state, observation, reward, info terms and termination within 1e-5·(1 + |b|)', () => {
    const env = make(id).unwrapped as MujocoEnv;
    let steps = 0;
    let maxError = 0;
    for (const ep of fixture(id).episodes) {
      for (let i = 0; i < ep.num_steps; i++) {
        env.setState(ep.qpos[i], ep.qvel[i]);
        if (env instanceof AntEnv) {
          const [x, y] = (ep.main_body_xy_before as number[][])[i];
          env.setTorsoPositionBefore(x, y);
        }
        const r = env.step(Float32Array.from(ep.actions[i]));
        const last = i + 1 === ep.num_steps;
        maxError = Math.max(
          maxError,
          worst(env.qpos, last ? ep.final_qpos : ep.qpos[i + 1]),
          worst(env.qvel, last ? ep.final_qvel : ep.qvel[i + 1]),
          worst(r.observation, ep.observations[i]),
          worst([r.reward], [ep.rewards[i]]),
        );
        for (const [key, values] of Object.entries(ep.infos)) {
          maxError = Math.max(maxError, worst([r.info[key] as number], [values[i]]));
        }
        expect(r.terminated, `${id} seed ${ep.seed} step ${i}`).toBe(ep.terminated[i]);
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(0);
    expect(maxError).toBeLessThanOrEqual(TOLERANCE);
    env.close();
  });
});

describe('MuJoCo engine', () => {
  it('detects how the engine combines contact margins and patches only models that need it', () => {
    expect(['max', 'sum']).toContain(contactMarginRule());
    expect(contactMarginRule()).toBe('max'); // mujoco-js 0.0.7 is MuJoCo 3.3.8
    const xml =
      '<mujoco><default><geom margin="0.01"/></default><worldbody><geom type="sphere" size="1" margin="0.01"/><body><joint type="slide" margin="0.01"/><geom type="sphere" size="1"/></body></worldbody></mujoco>';
    expect(geomMargins(xml)).toEqual([0.01]);
    const patched = doubleGeomMargins(xml);
    expect(patched).toContain('<geom margin="0.02"/>');
    expect(patched).toContain('<joint type="slide" margin="0.01"/>'); // joint margins untouched
    expect(() => doubleGeomMargins('<geom margin="0.1"/><geom margin="0.2"/>', 'mixed.xml')).toThrow(
      /mixed\.xml: geoms with different contact margins/,
    );
  });

  it(
    'make before loadEnvEngine says what to do (a fresh process, where the engine is not loaded)',
    { tags: ['slow'] },
    () => {
      const script = `import('policygrad').then((m) => {
      try { m.make('Hopper-v5'); console.log('no error'); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }
    })`;
      const out = execFileSync('node', ['-e', script], {
        cwd: new URL('..', import.meta.url).pathname,
        encoding: 'utf8',
      });
      expect(out).toMatch(
        /Hopper-v5 needs the MuJoCo engine: call `await loadEnvEngine\('Hopper-v5'\)` once before make\('Hopper-v5'\)/,
      );
    },
  );

  it('says what is wrong with an invalid model instead of failing silently', () => {
    expect(() => compileModel('broken.xml', '<mujoco><worldbody><body>')).toThrow(PolicygradError);
    expect(() => compileModel('broken.xml', '<mujoco><worldbody><body>')).toThrow(
      /could not compile the model broken\.xml/,
    );
  });

  it('every MuJoCo env passes checkEnv', () => {
    for (const id of IDS) {
      const report = checkEnv(make(id));
      expect(report.errors, id).toEqual([]);
      expect(report.ok).toBe(true);
    }
  });

  it('resets within the documented noise, truncates Reacher at 50 steps, and validates options', () => {
    const env = make('Hopper-v5');
    const { observation } = env.reset({ seed: 3 });
    const hopper = env.unwrapped as MujocoEnv;
    hopper.qpos.forEach((v, i) => expect(Math.abs(v - hopper.initQpos[i])).toBeLessThanOrEqual(0.005));
    expect((observation as Float64Array).length).toBe(11);
    expect(make('Hopper-v5').reset({ seed: 3 }).observation).toEqual(observation); // seeded

    const reacher = make('Reacher-v5');
    reacher.reset({ seed: 1 });
    let truncatedAt = -1;
    for (let t = 1; t <= 50 && truncatedAt < 0; t++) {
      if (reacher.step(Float32Array.from([0, 0])).truncated) truncatedAt = t;
    }
    expect(truncatedAt).toBe(50);

    expect(() => make('HalfCheetah-v5', { ctrlCostWeight: -1 })).toThrow(/ctrlCostWeight/);
    expect(() => make('Ant-v5', { healthyZRange: [1, 0.2] })).toThrow(/healthyZRange/);
    expect(() => make('Swimmer-v5', { colour: 'red' })).toThrow(/colour/);
  });

  it('thousands of makes, resets and closes do not grow the memory, and a closed env says so', () => {
    const env = make('Ant-v5');
    env.reset({ seed: 0 });
    const before = process.memoryUsage().rss;
    for (let k = 0; k < 2000; k++) {
      const e = make('HalfCheetah-v5');
      e.reset({ seed: k });
      e.step(Float32Array.from([0, 0, 0, 0, 0, 0]));
      e.close();
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    env.close();
    expect(() => env.step(new Float32Array(8))).toThrow(/closed/);
  });
});

describe('MuJoCo formulas on constructed states', () => {
  const zeros = (n: number) => new Float32Array(n);

  it('health ranges: Hopper and Walker2d strict, Ant inclusive, non-finite states unhealthy', () => {
    const hopper = make('Hopper-v5').unwrapped as HopperEnv;
    const base = [0, 1.25, 0, 0, 0, 0];
    const healthy = (env: HopperEnv | Walker2dEnv | AntEnv, qpos: number[], qvel?: number[]) => {
      env.setState(qpos, qvel ?? new Array(env.qvel.length).fill(0));
      return env.isHealthy;
    };
    expect(healthy(hopper, base)).toBe(true);
    expect(healthy(hopper, [0, 0.7, 0, 0, 0, 0])).toBe(false); // z > 0.7, strict
    expect(healthy(hopper, [0, 0.7001, 0, 0, 0, 0])).toBe(true);
    expect(healthy(hopper, [0, 1.25, 0.2, 0, 0, 0])).toBe(false); // |angle| < 0.2, strict
    expect(healthy(hopper, [0, 1.25, -0.1999, 0, 0, 0])).toBe(true);
    expect(healthy(hopper, base, [0, 0, 0, 100, 0, 0])).toBe(false); // state range (−100, 100)

    const walker = make('Walker2d-v5').unwrapped as Walker2dEnv;
    const w = [0, 1.25, 0, 0, 0, 0, 0, 0, 0];
    expect(healthy(walker, w)).toBe(true);
    expect(healthy(walker, [0, 0.8, ...w.slice(2)])).toBe(false);
    expect(healthy(walker, [0, 2.0, ...w.slice(2)])).toBe(false);
    expect(healthy(walker, [0, 1.25, 0.99, ...w.slice(3)])).toBe(true);
    expect(healthy(walker, [0, 1.25, 0, ...w.slice(3)], [0, 0, 0, 500, 0, 0, 0, 0, 0])).toBe(true); // no state range

    const ant = make('Ant-v5').unwrapped as AntEnv;
    const a = Array.from(ant.initQpos);
    const at = (z: number) => [a[0], a[1], z, ...a.slice(3)];
    expect(healthy(ant, at(0.2))).toBe(true); // inclusive
    expect(healthy(ant, at(1.0))).toBe(true);
    expect(healthy(ant, at(0.1999))).toBe(false);
    expect(healthy(ant, at(1.0001))).toBe(false);
    expect(healthy(ant, at(Number.NaN))).toBe(false);
  });

  it('pendulum terminations: InvertedPendulum past 0.2 rad, InvertedDoublePendulum tip at or below 1', () => {
    const ip = make('InvertedPendulum-v5').unwrapped as MujocoEnv;
    ip.setState([0, 0], [0, 0]);
    let r = ip.step(zeros(1));
    expect([r.reward, r.terminated]).toEqual([1, false]);
    ip.setState([0, 0.3], [0, 0]);
    r = ip.step(zeros(1));
    expect([r.reward, r.terminated]).toEqual([0, true]);

    const idp = make('InvertedDoublePendulum-v5').unwrapped as MujocoEnv;
    idp.setState([0, 0, 0], [0, 0, 0]);
    r = idp.step(zeros(1));
    expect(r.terminated).toBe(false);
    expect(r.info.reward_survive).toBe(10);
    idp.setState([0, Math.PI / 2, 0], [0, 0, 0]); // both poles horizontal: the tip is low
    r = idp.step(zeros(1));
    expect(r.terminated).toBe(true);
    expect(r.info.reward_survive).toBe(0);
    expect(r.reward).toBeCloseTo(
      (r.info.distance_penalty as number) + (r.info.velocity_penalty as number),
      12,
    );
  });

  it('reward terms add up, the forward term is displacement over dt, control costs are float32', () => {
    const cheetah = make('HalfCheetah-v5').unwrapped as MujocoEnv;
    cheetah.setState(
      cheetah.initQpos,
      Array.from({ length: 9 }, (_, i) => (i === 0 ? 1 : 0)),
    );
    const x0 = cheetah.qpos[0];
    const action = Float32Array.from([0.5, -0.25, 1, 0, 0.1, -0.7]);
    const r = cheetah.step(action);
    expect(r.info.x_velocity).toBeCloseTo((cheetah.qpos[0] - x0) / cheetah.dt, 12);
    expect(r.info.reward_ctrl).toBe(-controlCost(action, 0.1));
    expect(r.reward).toBeCloseTo((r.info.reward_forward as number) + (r.info.reward_ctrl as number), 12);
    const f = Math.fround;
    const squares = Array.from(action, (v) => f(v * v));
    expect(controlCost(action, 0.1)).toBe(f(f(0.1) * squares.reduce((s, q) => f(s + q), 0)));
    const eight = Float32Array.from([0.3, -0.6, 0.9, 0.2, -0.1, 0.7, -0.8, 0.4]);
    const q = Array.from(eight, (v) => f(v * v));
    expect(controlCost(eight, 0.5)).toBe(
      f(f(0.5) * f(f(f(q[0] + q[1]) + f(q[2] + q[3])) + f(f(q[4] + q[5]) + f(q[6] + q[7])))),
    );

    const reacher = make('Reacher-v5').unwrapped as MujocoEnv;
    reacher.reset({ seed: 4 });
    const s = reacher.step(zeros(2));
    const o = s.observation as Float64Array;
    expect(s.info.reward_dist).toBeCloseTo(-Math.hypot(o[8], o[9]), 12); // planar: no z difference
    expect(s.info.reward_ctrl).toBe(-0);
  });
});
