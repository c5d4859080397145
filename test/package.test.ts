// @module-tag slow: runs the built package (dist/) end to end
/**
 * The package as a user gets it: the built `dist/` imported by name, the CLI, and source-wide rules.
 * `npm test` builds before running the tests, so `dist/` is current here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
      "policygrad: unknown environment id 'CartPol-v1'. Did you mean: CartPole-v1? Registered ids: Acrobot-v1, Ant-v5, BipedalWalker-v3, BipedalWalkerHardcore-v3, CartPole-v1, CartPoleNoVel-v1, HalfCheetah-v5, Hopper-v5, InvertedDoublePendulum-v5, InvertedPendulum-v5, LunarLander-v3, LunarLanderContinuous-v3, LunarLanderContinuousNoVel-v3, LunarLanderNoVel-v3, MountainCar-v0, MountainCarContinuous-v0, MountainCarContinuousNoVel-v0, MountainCarNoVel-v0, Pendulum-v1, PendulumNoVel-v1, Reacher-v5, RepeatFirst-v0, Swimmer-v5, Walker2d-v5",
    );
    const bad = spawnSync('node', ['dist/cli/main.js', 'demo', '--episodes', 'x'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a positive integer, got 'x'/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    // Training mistakes: each refused in one line before anything is written.
    const dir = mkdtempSync(join(tmpdir(), 'policygrad-bad-'));
    const out = join(dir, 'run');
    writeFileSync(join(dir, 'bad.json'), '{\n  "gamma": 0.9,\n  "nSteps": }\n');
    writeFileSync(join(dir, 'bad.yaml'), 'gamma: 0.9\nnSteps: [1,\n');
    const cases: [string[], RegExp][] = [
      [
        ['--algo', 'ppp'],
        /unknown algorithm "ppp" \(did you mean ppo or npg or appo\?\): expected one of ppo, a2c/,
      ],
      [['--env', 'CartPol-v1'], /Did you mean: CartPole-v1\?/],
      [['--preset', 'tuned'], /no preset "tuned" for CartPole-v1; available: zoo, cleanrl/],
      [['--set', 'gamma=2'], /option 'gamma' = 2 is invalid/],
      [['--config', join(dir, 'bad.json')], /config file .*bad\.json, line 3 is not valid JSON/],
      [['--config', join(dir, 'bad.yaml')], /config file .*bad\.yaml, line 3 is not valid YAML/],
      [['--kernels', 'gpu'], /invalid --kernels "gpu": expected 'wasm' or 'typescript'/],
    ];
    for (const [args, message] of cases) {
      const result = spawnSync('node', ['dist/cli/main.js', 'train', ...args, '--out', out], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
    rmSync(dir, { recursive: true, force: true });
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
    expect(Object.keys(byName)).toEqual(['total', 'rtg-discounted', 'rtg', 'rtg-mean', 'rtg-value', 'gae']);
    expect(report.reference).toBe('∇J_γ (γ = 0.99), estimated by the mean of rtg-discounted (γ^t·G_t)');
    expect(byName['rtg-discounted'].cosineToReference).toBeCloseTo(1, 10);
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

  it('policygrad train writes a run directory that policygrad eval can play', () => {
    const out = mkdtempSync(join(tmpdir(), 'policygrad-run-'));
    const run = join(out, 'a2c');
    const train = execFileSync(
      'node',
      [
        'dist/cli/main.js',
        'train',
        '--algo',
        'a2c',
        '--timesteps',
        '2000',
        '--seed',
        '3',
        '--out',
        run,
        '--set',
        'gamma=0.98',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(train).toMatch(
      /a2c on CartPole-v1 \(preset zoo, seed 3, kernels wasm-simd, update threads (2 \(actor \| critic\)|1 \(one core\))\) for 2,000 steps/,
    );
    expect(train).toMatch(/^2,000\/2,000 steps \(100%\)/m);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      library: 'policygrad',
      algo: 'a2c',
      env: 'CartPole-v1',
      seed: 3,
      totalTimesteps: 2000,
    });
    expect(config.config).toMatchObject({ gamma: 0.98, numEnvs: 8, preset: 'zoo' });
    const csv = readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'iteration,step,episodes,episode_return_mean,episode_length_mean,policy_loss,value_loss,entropy,approx_kl,clip_fraction,explained_variance,learning_rate,sps,time_s',
    );
    expect(csv).toHaveLength(1 + 2000 / 40); // one row per iteration of 8 envs × 5 steps
    expect(readFileSync(join(run, 'progress.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2000 / 40);

    const evaluation = JSON.parse(
      execFileSync('node', ['dist/cli/main.js', 'eval', run, '--episodes', '3', '--json'], {
        cwd: root,
        encoding: 'utf8',
      }),
    );
    expect(Object.keys(evaluation)).toEqual(['episodes', 'meanReturn', 'stdReturn', 'meanLength']);
    expect(evaluation.episodes).toBe(3);
    expect(evaluation.meanReturn).toBe(evaluation.meanLength); // CartPole: +1 per step

    const variance = JSON.parse(
      execFileSync(
        'node',
        [
          'dist/cli/main.js',
          'variance',
          '--policy',
          run,
          '--estimators',
          'total,rtg',
          '--repeats',
          '5',
          '--json',
        ],
        { cwd: root, encoding: 'utf8' },
      ),
    );
    expect(variance.env).toBe('CartPole-v1');
    expect(variance.estimators.map((e: { name: string }) => e.name)).toEqual(['total', 'rtg']);

    const again = spawnSync(
      'node',
      ['dist/cli/main.js', 'train', '--algo', 'a2c', '--timesteps', '100', '--out', run],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    const missing = spawnSync('node', ['dist/cli/main.js', 'eval', join(out, 'nothing')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no trained policy at/);
    rmSync(out, { recursive: true, force: true });
  });

  it('policygrad list envs|algos|presets', () => {
    const list = (what: string) =>
      execFileSync('node', ['dist/cli/main.js', 'list', what], { cwd: root, encoding: 'utf8' });
    expect(list('envs')).toMatch(/^CartPole-v1 .* 500 steps$/m);
    expect(
      list('algos')
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual([
      'ppo',
      'a2c',
      'trpo',
      'npg',
      'reinforce',
      'a3c',
      'recurrent-ppo',
      'recurrent-a2c',
      'impala',
      'appo',
    ]);
    expect(list('presets')).toMatch(/^ppo +CartPole-v1 +zoo \(100,000 steps\)$/m);
    expect(list('presets')).toMatch(/^ppo +CartPole-v1 +cleanrl \(500,000 steps\)$/m);
  });

  it('the README quick start names the commands that exist', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(readme).toContain('npm ci && npm run train');
    expect(readme).toContain('npm test');
    // Builds first when dist/ is missing or older than src/ (scripts/build-if-stale.mjs), then trains.
    expect(pkg.scripts.train).toBe('node scripts/build-if-stale.mjs && node dist/cli/main.js train');
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/npm ci[^\n]*\nnpm test\n/);
  });
});
