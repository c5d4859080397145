/**
 * The package as a user gets it: the built `dist/` imported by name, the CLI, and source-wide rules.
 * `npm test` builds before running the tests, so `dist/` is current here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('package', () => {
  it("import('policygrad') exposes make, and the state round-trips (issue's one-liner)", () => {
    const script = `import('policygrad').then(m => {
      const e = m.make('CartPole-v1'); e.reset({ seed: 0 }); e.unwrapped.state = [0.01, 0, 0.02, 0];
      const r = e.step(1);
      console.log(JSON.stringify({ obs: Array.from(r.observation), reward: r.reward, terminated: r.terminated, truncated: r.truncated, state: e.unwrapped.state }));
    })`;
    const out = JSON.parse(execFileSync('node', ['-e', script], { cwd: root, encoding: 'utf8' }));
    expect(out.reward).toBe(1);
    expect(out.terminated).toBe(false);
    expect(out.truncated).toBe(false);
    expect(out.state[0]).toBe(0.01); // x advances with the old velocity 0
    expect(out.state[2]).toBe(0.02);
    expect(out.obs[0]).toBe(Math.fround(0.01));
  });

  it('the CLI demo runs a random policy and prints episode returns', () => {
    const out = execFileSync('node', ['dist/cli/main.js', 'demo', '--episodes', '2', '--seed', '1'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toMatch(/^episode 1: return \d+\.00, length \d+/m);
    expect(out).toMatch(/^episode 2: return/m);
    expect(out).toMatch(/mean return/);
  });

  it('the CLI reports user mistakes in one line, without a stack trace, exit code 2', () => {
    const run = spawnSync('node', ['dist/cli/main.js', 'demo', '--env', 'CartPol-v1'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      "policygrad: unknown environment id 'CartPol-v1'. Did you mean: CartPole-v1? Registered ids: Acrobot-v1, CartPole-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1",
    );
    const bad = spawnSync('node', ['dist/cli/main.js', 'demo', '--episodes', 'x'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a positive integer, got 'x'/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('policygrad variance --json prints the report, and the variance falls with each reduction step', () => {
    const out = execFileSync(
      'node',
      ['dist/cli/main.js', 'variance', '--env', 'CartPole-v1', '--json', '--repeats', '40', '--seed', '1'],
      { cwd: root, encoding: 'utf8' },
    );
    const report = JSON.parse(out);
    expect(report.env).toBe('CartPole-v1');
    const byName: Record<string, { relativeVariance: number; cosineToReference: number }> =
      Object.fromEntries(report.estimators.map((e: { name: string }) => [e.name, e]));
    expect(Object.keys(byName)).toEqual(['total', 'rtg', 'rtg-mean', 'rtg-value', 'gae']);
    for (const e of report.estimators) {
      expect(Object.keys(e)).toEqual([
        'name',
        'meanNorm',
        'totalVariance',
        'relativeVariance',
        'cosineToReference',
      ]);
    }
    // The measured ratios are about 0.2 (rtg/total) and 0.4 (rtg-value/rtg); 40 repeats resolve them easily.
    expect(byName.total.relativeVariance).toBe(1);
    expect(byName.rtg.relativeVariance).toBeLessThan(byName.total.relativeVariance);
    expect(byName['rtg-value'].relativeVariance).toBeLessThan(byName.rtg.relativeVariance);
    expect(byName.rtg.cosineToReference).toBeGreaterThan(0.9);
  });

  it('the README quick start names the commands that exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
    expect(pkg.scripts.demo).toBeDefined();
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/npm ci[^\n]*\nnpm test\n/);
  });
});
