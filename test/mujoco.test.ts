/**
 * MuJoCo v5 envs against Gymnasium 1.3.0 on MuJoCo 3.14 (test/fixtures/mujoco, recorded per step): every
 * recorded step is replayed from its recorded state (set qpos/qvel → mj_forward, step with the recorded action)
 * and the next state, observation, reward, every info term and the termination flag are compared with the
 * tolerance the fixtures' agreement study recommends, |a − b| ≤ 1e-5·(1 + |b|) (worst seen there: 5e-7).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AntEnv,
  checkEnv,
  compileModel,
  contactMarginRule,
  doubleGeomMargins,
  geomMargins,
  loadMujoco,
  make,
  type MujocoEnv,
  PolicygradError,
} from '../src/index.js';

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
