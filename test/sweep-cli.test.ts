// @module-tag slow: runs the built package (dist/) end to end
/**
 * `policygrad sweep` on this machine, through the built CLI: a 4-trial CartPole sweep in 2 processes completes
 * with a correct summary.json (trials, configs ranked by mean final evaluation), each trial a normal run
 * directory identical to what `train` writes for the same config and seed, and a best.yaml that `train --config`
 * accepts and reproduces; an existing sweep directory is refused; Ctrl-C stops launching, lets the running trial
 * checkpoint and writes a partial summary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRASHY_ENV, cli, metrics, root } from './cli-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'policygrad-sweep-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPEC = `
algo: ppo
env: CartPole-v1
preset: zoo
timesteps: 2048
seeds: [1, 2]
config: { nSteps: 256, numEnvs: 2, batchSize: 64, nEpochs: 4 }
grid: { learningRate: [0.001, 0.0003] }
`;

interface Summary {
  status: string;
  trials: {
    id: string;
    config: number;
    params: Record<string, number>;
    seed: number;
    status: string;
    finalEval: number | null;
    steps: number;
    wallTimeS: number;
    runDir: string;
  }[];
  configs: { rank: number; config: number; meanFinalEval: number; stdFinalEval: number; completed: number }[];
  best: { config: number; file: string } | null;
}

describe('policygrad sweep (local)', () => {
  const spec = join(work, 'spec.yaml');
  const out = join(work, 'sweep');
  writeFileSync(spec, SPEC);

  it('runs every config on every seed and ranks the configs by mean final evaluation', () => {
    const result = cli(['sweep', spec, '--parallel', '2', '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('2 configs × 2 seeds = 4 trials of 2,048 steps, 2 at a time');
    // Not a terminal (logs, CI): a line as each trial ends.
    expect(result.stdout).toMatch(/trial c01-seed2 completed at step 2048, final eval \d+\.\d \(\d+\.\d s\)/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.status).toBe('completed');
    expect(summary.trials.map((t) => [t.id, t.params.learningRate, t.seed, t.status, t.steps])).toEqual([
      ['c00-seed1', 0.001, 1, 'completed', 2048],
      ['c00-seed2', 0.001, 2, 'completed', 2048],
      ['c01-seed1', 0.0003, 1, 'completed', 2048],
      ['c01-seed2', 0.0003, 2, 'completed', 2048],
    ]);
    for (const trial of summary.trials) {
      expect(trial.wallTimeS).toBeGreaterThan(0);
      expect(trial.runDir).toBe(join(out, 'trials', trial.id));
      // The final evaluation is what `policygrad eval` measures on the run (10 deterministic episodes, seed 10000 + seed).
      const evaluated = cli(['eval', trial.runDir, '--json', '--seed', String(10_000 + trial.seed)]);
      expect(JSON.parse(evaluated.stdout).meanReturn).toBeCloseTo(trial.finalEval as number, 9);
    }
    // Configs: mean ± population std of their seeds' evaluations, best first.
    const evals = (c: number) =>
      summary.trials.filter((t) => t.config === c).map((t) => t.finalEval as number);
    const ranked = [0, 1]
      .map((c) => ({
        c,
        mean: (evals(c)[0] + evals(c)[1]) / 2,
        std: Math.abs(evals(c)[0] - evals(c)[1]) / 2,
      }))
      .sort((a, b) => b.mean - a.mean);
    expect(summary.configs.map((c) => [c.rank, c.config, c.completed])).toEqual([
      [1, ranked[0].c, 2],
      [2, ranked[1].c, 2],
    ]);
    expect(summary.configs[0].meanFinalEval).toBeCloseTo(ranked[0].mean, 9);
    expect(summary.configs[0].stdFinalEval).toBeCloseTo(ranked[0].std, 9);
    expect(summary.best).toEqual({ config: ranked[0].c, file: 'best.yaml' });
    expect(result.stdout).toMatch(/rank\s+config\s+learningRate\s+final eval \(mean ± std\)/);
    expect(result.stdout).toContain(`${ranked[0].mean.toFixed(1)} ± ${ranked[0].std.toFixed(1)}`);
  });

  it('writes the best config as a file train --config accepts, which reproduces its trials', () => {
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    const trial = summary.trials.find((t) => t.config === summary.best?.config && t.seed === 1);
    const run = join(work, 'best-run');
    const result = cli([
      'train',
      '--config',
      join(out, 'best.yaml'),
      '--seed',
      '1',
      '--timesteps',
      '2048',
      '--out',
      run,
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(metrics(run)).toEqual(metrics(trial?.runDir as string));
    expect(readFileSync(join(run, 'final', 'policy.json'), 'utf8')).toBe(
      readFileSync(join(trial?.runDir as string, 'final', 'policy.json'), 'utf8'),
    );
  });

  it("runs trials with vectorEnv 'async' (envs on worker threads): the same run as with 'sync'", () => {
    // The first config on seed 1, its envs stepped on worker threads: the trial gets Node's ports.
    const asyncSpec = join(work, 'async.yaml');
    writeFileSync(
      asyncSpec,
      SPEC.replace('nEpochs: 4 }', "nEpochs: 4, vectorEnv: 'async' }")
        .replace('seeds: [1, 2]', 'seeds: [1]')
        .replace('[0.001, 0.0003]', '[0.001]'),
    );
    const asyncOut = join(work, 'async-sweep');
    const result = cli(['sweep', asyncSpec, '--parallel', '1', '--out', asyncOut]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const trial = join(asyncOut, 'trials', 'c00-seed1');
    const config = JSON.parse(readFileSync(join(trial, 'config.json'), 'utf8')).config;
    expect(config.vectorEnv).toBe('async');
    expect(readdirSync(join(trial, 'checkpoints')).length).toBeGreaterThan(0);
    const sync = join(out, 'trials', 'c00-seed1');
    expect(metrics(trial)).toEqual(metrics(sync));
    expect(readFileSync(join(trial, 'final', 'policy.json'), 'utf8')).toBe(
      readFileSync(join(sync, 'final', 'policy.json'), 'utf8'),
    );
  });

  it('refuses an existing sweep directory, and contradicting flags, with one line and changes nothing', () => {
    const before = readFileSync(join(out, 'summary.json'), 'utf8');
    const result = cli(['sweep', spec, '--out', out]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`sweep directory ${out} already exists; sweeps never overwrite`);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(before);
    // Contradicting or missing arguments: one line each, before anything runs.
    const both = cli(['sweep', spec, '--parallel', '2', '--redis', 'redis://127.0.0.1:1']);
    expect([both.status, both.stderr.trim()]).toEqual([
      2,
      'policygrad: sweep: --parallel is for local sweeps; with --redis, each worker has --concurrency',
    ]);
    const none = cli(['sweep']);
    expect([none.status, none.stderr.trim()]).toEqual([
      2,
      'policygrad: sweep: missing the spec file (policygrad sweep spec.yaml)',
    ]);
  });

  it('prints a sweep status', () => {
    const result = cli(['sweep', '--status', out]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('4/4 completed, 0 running, 0 failed, 0 pending');
    expect(result.stdout).toContain('summary (completed):');
  });

  it('plot groups the trials by config: mean ± std over seeds, labelled by the searched values', () => {
    const svg = join(work, 'curves.svg');
    const trials = readdirSync(join(out, 'trials')).map((t) => join(out, 'trials', t));
    const result = cli(['plot', ...trials, '--out', svg]);
    expect(result.status).toBe(0);
    const labels = [...readFileSync(svg, 'utf8').matchAll(/<text[^>]*>([^<]*ppo[^<]*)<\/text>/g)].map(
      (m) => m[1],
    );
    expect(labels.sort()).toEqual([
      'ppo CartPole-v1 learningRate=0.0003 — mean ± std of 2 seeds',
      'ppo CartPole-v1 learningRate=0.001 — mean ± std of 2 seeds',
    ]);
  });

  it('a trial that crashes fails alone with its error; the others complete; exit code 1', () => {
    const crash = join(work, 'crash.js');
    writeFileSync(crash, CRASHY_ENV);
    const crashSpec = join(work, 'crash.yaml');
    writeFileSync(
      crashSpec,
      SPEC.replace('env: CartPole-v1', 'env: Crashy-v0')
        .replace('preset: zoo', 'preset: none')
        .replace('seeds: [1, 2]', 'seeds: [1, 7]'),
    );
    const out = join(work, 'crash');
    const result = cli(['sweep', crashSpec, '--parallel', '2', '--out', out, '--import', crash]);
    expect(result.status).toBe(1);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary & {
      trials: { error?: string }[];
    };
    expect(summary.trials.map((t) => t.status)).toEqual(['completed', 'failed', 'completed', 'failed']);
    expect(summary.trials[1].error).toContain('Error: the simulator crashed');
    expect(result.stdout).toContain('trial c00-seed7 failed: Error: the simulator crashed');
  });

  it('Ctrl-C launches no more trials, lets the running one checkpoint, and writes a partial summary', async () => {
    const longSpec = join(work, 'long.yaml');
    writeFileSync(longSpec, SPEC.replace('timesteps: 2048', 'timesteps: 400000'));
    const longOut = join(work, 'interrupted');
    const child = spawn(
      'node',
      ['dist/cli/main.js', 'sweep', longSpec, '--parallel', '1', '--out', longOut],
      {
        cwd: root,
      },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const checkpoints = join(longOut, 'trials', 'c00-seed1', 'checkpoints');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(checkpoints) && readdirSync(checkpoints).length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stdout).toContain('SIGINT: launching no more trials; running trials checkpoint and stop');
    const summary = JSON.parse(readFileSync(join(longOut, 'summary.json'), 'utf8')) as Summary;
    expect(summary.status).toBe('interrupted');
    expect(summary.trials.map((t) => t.status)).toEqual(['stopped', 'pending', 'pending', 'pending']);
    expect(summary.best).toBeNull();
    // The stopped trial's last checkpoint is at the step it stopped at: train --resume continues it.
    const stopped = summary.trials[0];
    const files = readdirSync(checkpoints);
    expect(files.at(-1)).toBe(`step-${String(stopped.steps).padStart(10, '0')}.json`);
    expect(stopped.steps).toBeLessThan(400_000);
  });

  it('without bullmq and ioredis (optional peers): local sweeps run, Redis commands (worker, actor) say what to install', () => {
    // A resolve hook that makes the two packages missing, as in a project that did not install them.
    const hooks = join(work, 'no-redis-hooks.mjs');
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
        if (specifier === 'bullmq' || specifier === 'ioredis') {
          throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: 'ERR_MODULE_NOT_FOUND' });
        }
        return next(specifier, context);
      }`,
    );
    const register = join(work, 'no-redis.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});`,
    );
    const run = (args: string[]) =>
      spawnSync('node', ['--import', register, 'dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });
    const local = run(['sweep', spec, '--parallel', '2', '--out', join(work, 'no-redis')]);
    expect(local.stderr).toBe('');
    expect(local.status).toBe(0);
    const worker = run(['worker', '--redis', 'redis://127.0.0.1:1']);
    expect(worker.status).toBe(2);
    expect(worker.stderr.trim()).toBe(
      'policygrad: policygrad worker needs the bullmq and ioredis packages (optional, for sweeps on several machines): npm install bullmq ioredis',
    );
    // IMPALA/APPO's actor reaches Redis through the same code, with ioredis alone.
    const actor = run(['actor', '--redis', 'redis://127.0.0.1:1', '--run-id', 'r']);
    expect(actor.status).toBe(2);
    expect(actor.stderr.trim()).toBe(
      'policygrad: policygrad actor needs the ioredis package (optional, for runs on several machines): npm install ioredis',
    );
  });

  it('ASHA prunes the trials below the cutoff at a rung; they stop there after a checkpoint, marked pruned', () => {
    const ashaSpec = join(work, 'asha.yaml');
    writeFileSync(
      ashaSpec,
      SPEC.replace('timesteps: 2048', 'timesteps: 16384')
        .replace('[0.001, 0.0003]', '[0.003, 0.000001]')
        .concat('asha: { gracePeriod: 2048, reductionFactor: 2 }\n'),
    );
    const out = join(work, 'asha');
    const result = cli(['sweep', ashaSpec, '--parallel', '1', '--out', out]);
    expect(result.status).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary & {
      asha: { rungs: { step: number; values: Record<string, number> }[] };
    };
    expect(summary.asha.rungs.map((r) => r.step)).toEqual([2048, 4096, 8192]);
    // Seed 1 of the working learning rate reaches the first rung first and goes on; with a learning rate of 1e-6 the
    // returns stay low and both of its trials are pruned.
    expect(summary.trials.map((t) => [t.id, t.status])).toEqual([
      ['c00-seed1', 'completed'],
      ['c00-seed2', 'pruned'],
      ['c01-seed1', 'pruned'],
      ['c01-seed2', 'pruned'],
    ]);
    const first = summary.asha.rungs[0].values;
    expect(Object.keys(first)).toEqual(['c00-seed1', 'c00-seed2', 'c01-seed1', 'c01-seed2']);
    // Each pruned value is below the median (η = 2) of the values recorded before it.
    const before = Object.values(first);
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
    };
    for (let i = 1; i < before.length; i++) expect(before[i]).toBeLessThan(median(before.slice(0, i)));
    for (const trial of summary.trials.filter((t) => t.status === 'pruned')) {
      expect(trial.steps).toBe(2048); // the trial waited at the rung for the verdict
      expect(trial.finalEval).toBeNull();
      const files = readdirSync(join(trial.runDir, 'checkpoints'));
      expect(files.at(-1)).toBe(`step-${String(trial.steps).padStart(10, '0')}.json`);
    }
    expect(summary.configs.map((c) => [c.config, c.completed])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });
});
