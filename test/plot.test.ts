// @module-tag slow: runs the built package (dist/) end to end
/** `policygrad plot` on real run directories (built CLI): SVG and PNG, seeds of one config averaged. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-plot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cli = (args: string[]) =>
  spawnSync('node', ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });

describe('policygrad plot', () => {
  const runs = [
    ['a2c', '1'],
    ['a2c', '2'],
    ['ppo', '1'],
  ].map(([algo, seed]) => {
    const out = join(work, `${algo}-${seed}`);
    return { algo, seed, out };
  });

  it('draws mean ± std across seeds of one config, with readable axes and labels (SVG), and a PNG', () => {
    for (const r of runs) {
      expect(
        cli(['train', '--algo', r.algo, '--seed', r.seed, '--timesteps', '3000', '--out', r.out]).status,
      ).toBe(0);
    }
    const svgFile = join(work, 'curve.svg');
    const svg = cli(['plot', ...runs.map((r) => r.out), '--out', svgFile]);
    expect(svg.status).toBe(0);
    const text = readFileSync(svgFile, 'utf8');
    expect(text).toMatch(/^<svg/);
    expect(text).toContain('environment steps');
    expect(text).toContain('Episode return (mean over the iteration)');
    expect(text).toContain('a2c CartPole-v1 — mean ± std of 2 seeds');
    expect(text).toContain('ppo CartPole-v1');
    expect(text).toMatch(/<path[^>]*d="M/); // the curves

    const pngFile = join(work, 'kl.png');
    const png = cli(['plot', runs[2].out, '--metric', 'approx_kl', '--x', 'time_s', '--out', pngFile]);
    expect(png.status).toBe(0);
    const bytes = readFileSync(pngFile);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(bytes.length).toBeGreaterThan(10_000);
  }, 60_000);

  it('refuses an unknown metric (listing the available ones), a non-run, and an unknown output type', () => {
    const metric = cli(['plot', runs[0].out, '--metric', 'reward']);
    expect(metric.status).toBe(2);
    expect(metric.stderr).toMatch(
      /no metric 'reward' in .*; available: iteration, step, episodes, episode_return_mean/,
    );
    const notRun = cli(['plot', work]);
    expect(notRun.status).toBe(2);
    expect(notRun.stderr).toMatch(/is not a run directory \(no metrics\.csv\)/);
    const type = cli(['plot', runs[0].out, '--out', join(work, 'x.jpg')]);
    expect(type.status).toBe(2);
    expect(type.stderr).toMatch(/expected a file name ending in \.svg or \.png/);
  });
});
