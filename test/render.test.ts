/**
 * Rendering: `make(id, { renderMode: 'rgb_array' })` and `env.render()` for the classic-control envs, the
 * software rasteriser behind it, and `policygrad eval --record` (animated GIF).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseEnv, Box, Discrete, type Frame, make, RasterPainter, register } from '../src/internal.js';
import type { CartPoleEnv, PendulumEnv } from '../src/internal.js';

const ROOT = new URL('..', import.meta.url).pathname;

function pixel(frame: Frame, x: number, y: number): string {
  const k = (Math.round(y) * frame.width + Math.round(x)) * 3;
  return `#${[0, 1, 2].map((c) => frame.data[k + c].toString(16).padStart(2, '0')).join('')}`;
}

function count(frame: Frame, color: string): number {
  let n = 0;
  for (let y = 0; y < frame.height; y++)
    for (let x = 0; x < frame.width; x++) if (pixel(frame, x, y) === color) n++;
  return n;
}

describe('RasterPainter', () => {
  it('fills exactly the pixels whose centres are inside each shape', () => {
    const p = new RasterPainter(40, 30);
    p.clear('#ffffff');
    p.fillRect(2, 3, 10, 5, '#ff0000');
    expect(count(p.frame(), '#ff0000')).toBe(50);
    p.clear('#ffffff');
    p.circle(20, 15, 8, '#00ff00');
    expect(Math.abs(count(p.frame(), '#00ff00') - Math.PI * 64)).toBeLessThan(2 * Math.PI * 8 * 0.5); // ± a rim
    p.clear('#ffffff');
    p.polygon([0, 0, 20, 0, 0, 20], '#0000ff'); // right triangle, area 200
    expect(Math.abs(count(p.frame(), '#0000ff') - 200)).toBeLessThanOrEqual(20);
    expect(pixel(p.frame(), 39, 29)).toBe('#ffffff');
    expect(() => p.clear('red')).toThrow(/#rrggbb/);
  });
});

describe('env.render()', () => {
  it("returns a 600 × 400 RGB frame in 'rgb_array' mode through the wrappers, null otherwise", () => {
    const env = make('CartPole-v1', { renderMode: 'rgb_array' });
    expect(env.renderMode).toBe('rgb_array');
    expect(env.render?.()).toBeNull(); // no state before reset, as Gymnasium
    env.reset({ seed: 0 });
    const frame = env.render?.() as Frame;
    expect([frame.width, frame.height, frame.data.length]).toEqual([600, 400, 600 * 400 * 3]);
    const plain = make('CartPole-v1');
    plain.reset({ seed: 0 });
    expect(plain.render?.()).toBeNull();
    expect(plain.renderMode).toBeNull();
  });

  it('draws the state: the cart where x says, the pendulum where θ points', () => {
    const env = make('CartPole-v1', { renderMode: 'rgb_array' });
    env.reset({ seed: 0 });
    const cart = env.unwrapped as CartPoleEnv;
    const scale = 600 / 4.8 / 1.1;
    cart.state = [0, 0, 0, 0];
    let frame = env.render?.() as Frame;
    expect(pixel(frame, 300 - 20, 292)).toBe('#1f2937'); // the cart body: x ± 25 px, y 285…315 (track at 300)
    cart.state = [1, 0, 0, 0];
    frame = env.render?.() as Frame;
    expect(pixel(frame, 300 - 20, 292)).not.toBe('#1f2937');
    expect(pixel(frame, 300 + scale + 20, 292)).toBe('#1f2937');
    // Upright pole above the axle; tilted right, the pixel right of the axle's top is the pole.
    expect(pixel(frame, 300 + scale, 300 - 15 - 60)).toBe('#d97706');

    const pendulum = make('Pendulum-v1', { renderMode: 'rgb_array' });
    pendulum.reset({ seed: 0 });
    const inner = pendulum.unwrapped as PendulumEnv;
    inner.state = [0, 0]; // upright
    frame = pendulum.render?.() as Frame;
    expect(pixel(frame, 300, 200 - 100)).toBe('#d97706');
    expect(pixel(frame, 300, 200 + 100)).not.toBe('#d97706');
    inner.state = [Math.PI, 0]; // hanging down
    frame = pendulum.render?.() as Frame;
    expect(pixel(frame, 300, 200 + 100)).toBe('#d97706');
  });

  it('every classic-control env renders, and frames change as the env moves', () => {
    for (const id of [
      'CartPole-v1',
      'Acrobot-v1',
      'MountainCar-v0',
      'MountainCarContinuous-v0',
      'Pendulum-v1',
    ]) {
      const env = make<Float32Array, unknown>(id, { renderMode: 'rgb_array' });
      env.reset({ seed: 3 });
      const first = (env.render?.() as Frame).data.slice();
      const action = id === 'Pendulum-v1' || id === 'MountainCarContinuous-v0' ? Float32Array.of(1) : 1;
      for (let t = 0; t < 10; t++) env.step(action);
      const later = (env.render?.() as Frame).data;
      expect(first.some((v, k) => v !== later[k])).toBe(true);
    }
  });

  it('refuses a render mode the env does not have, and an unknown mode', () => {
    class Plain extends BaseEnv<Float32Array, number> {
      readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [1] });
      readonly actionSpace = new Discrete(2);
      reset() {
        return { observation: Float32Array.of(0), info: {} };
      }
      step() {
        return { observation: Float32Array.of(0), reward: 0, terminated: false, truncated: false, info: {} };
      }
    }
    register({ id: 'TestPlain-v0', entryPoint: () => new Plain() });
    expect(() => make('TestPlain-v0', { renderMode: 'rgb_array' })).toThrow(
      /TestPlain-v0'\): this environment cannot render/,
    );
    expect(() => make('CartPole-v1', { renderMode: 'human' as never })).toThrow(
      /invalid renderMode "human": expected one of 'rgb_array'/,
    );
  });
});

describe('policygrad eval --record', { tags: ['slow'] }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'policygrad-record-'));
    execFileSync('node', ['dist/cli/main.js', 'train', '--timesteps', '2048', '--out', join(dir, 'run')], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one deterministic episode as an animated GIF: one frame per state', () => {
    const out = execFileSync(
      'node',
      ['dist/cli/main.js', 'eval', join(dir, 'run'), '--episodes', '1', '--record', join(dir, 'agent.gif')],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    const frames = Number(/\((\d+) frames, return (\d+)\.00/.exec(out)?.[1]);
    const episodeReturn = Number(/return (\d+)\.00/.exec(out)?.[1]);
    expect(frames).toBe(episodeReturn + 1); // CartPole: reward 1 per step; the reset state plus one per step
    const gif = readFileSync(join(dir, 'agent.gif'));
    expect(gif.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(gif.readUInt16LE(6)).toBe(600);
    expect(gif.readUInt16LE(8)).toBe(400);
    // One graphic-control extension (0x21 0xF9) per frame.
    let extensions = 0;
    for (let k = 0; k + 1 < gif.length; k++)
      if (gif[k] === 0x21 && gif[k + 1] === 0xf9 && gif[k + 2] === 4) extensions++;
    expect(extensions).toBeGreaterThanOrEqual(frames);
  }, 60_000);

  it('refuses a file that is not .gif', () => {
    const run = spawnSync(
      'node',
      ['dist/cli/main.js', 'eval', join(dir, 'run'), '--record', join(dir, 'agent.png')],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--record .*agent\.png: expected a file name ending in \.gif/);
  });
});
