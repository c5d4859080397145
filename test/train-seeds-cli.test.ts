// @module-tag slow: runs the built package (dist/) end to end
/**
 * `policygrad train --seeds`: several seeds of one config in one process on worker threads. Each seed's run
 * directory is the one `train --seed N` writes alone — the same files, config.json, metrics.csv (but the
 * wall-clock columns), checkpoints (but their elapsed seconds) and final policy — named `runs/<algo>-<env>-seed<N>`
 * by default and `<--out>/seed<N>` with --out — seed 2 of three on two threads included, which is split between the
 * threads (its first 1,024 steps on one, the rest on the other from the handed-over checkpoint); Ctrl-C stops the running seed after a checkpoint and starts no
 * other; flags that make no sense with several seeds are refused in one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, interruptWhen, metrics, root } from './cli-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'policygrad-seeds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CLI = join(root, 'dist', 'cli', 'main.js');
const SMALL = [
  '--timesteps',
  '2048',
  '--checkpoint-every',
  '640',
  '--set',
  'nSteps=64',
  '--set',
  'batchSize=64',
  '--n-envs',
  '2',
];

/** Every file of a run directory (relative path → contents), the wall-clock values taken out. */
function runFiles(dir: string): Record<string, unknown> {
  const files: Record<string, unknown> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  files['metrics.csv'] = metrics(dir);
  files['progress.jsonl'] = (files['progress.jsonl'] as string)
    .trim()
    .split('\n')
    .map((line) => {
      const { sps: _sps, timeSeconds: _time, ...row } = JSON.parse(line) as Record<string, unknown>;
      return row;
    });
  for (const name of Object.keys(files).filter((f) => f.startsWith('checkpoints'))) {
    const checkpoint = JSON.parse(files[name] as string) as { tracker: { elapsedSeconds?: number } };
    delete checkpoint.tracker.elapsedSeconds;
    files[name] = checkpoint;
  }
  return files;
}

describe('policygrad train --seeds', () => {
  it('writes each seed the run directory it would have alone, a split seed too (default names; --out DIR → DIR/seed<N>)', () => {
    const cwd = join(work, 'default-names');
    mkdirSync(cwd);
    const many = spawnSync('node', [CLI, 'train', ...SMALL, '--seeds', '1,2,3', '--parallel', '2'], {
      cwd,
      encoding: 'utf8',
    });
    expect(many.stderr).toBe('');
    expect(many.status).toBe(0);
    expect(many.stdout).toContain(
      'ppo on CartPole-v1 (preset zoo, seeds 1,2,3, kernels wasm-simd) for 2,048 steps each, 2 at a time → runs/ppo-CartPole-v1-seed1, runs/ppo-CartPole-v1-seed2, runs/ppo-CartPole-v1-seed3',
    );
    // Not a terminal: progress lines per seed, and each seed's closing line.
    expect(many.stdout).toMatch(/^seed 2: [\d,]+\/2,048 steps \(\d+%\) \| return /m);
    expect(many.stdout).toMatch(
      /^seed 1 done: 2,048 steps; 10 deterministic evaluation episodes, mean return \d+\.\d; saved runs\/ppo-CartPole-v1-seed1\/final\/policy\.json$/m,
    );
    for (const seed of [1, 2]) {
      const alone = join(work, `alone-seed${seed}`);
      const single = cli(['train', ...SMALL, '--seed', String(seed), '--out', alone]);
      expect(single.status).toBe(0);
      const together = runFiles(join(cwd, 'runs', `ppo-CartPole-v1-seed${seed}`));
      expect(Object.keys(together).sort()).toEqual([
        'checkpoints/step-0000001920.json',
        'checkpoints/step-0000002048.json',
        'config.json',
        'final/policy.json',
        'metrics.csv',
        'progress.jsonl',
      ]);
      expect(together).toEqual(runFiles(alone));
      // The final evaluation printed is the run's, as `policygrad eval` measures it (seed 10000 + seed).
      const evaluated = cli(['eval', alone, '--json', '--seed', String(10_000 + seed)]);
      const shown = new RegExp(`^seed ${seed} done: .* mean return (\\d+\\.\\d);`, 'm').exec(many.stdout);
      expect(shown?.[1]).toBe((JSON.parse(evaluated.stdout) as { meanReturn: number }).meanReturn.toFixed(1));
    }
    const out = join(work, 'out');
    const named = cli(['train', ...SMALL, '--seeds', '3', '--out', out]);
    expect(named.status).toBe(0);
    expect(readdirSync(out)).toEqual(['seed3']);
    expect(JSON.parse(readFileSync(join(out, 'seed3', 'config.json'), 'utf8')).seed).toBe(3);
    // An existing run directory is refused before anything runs, as for one seed.
    const again = cli(['train', ...SMALL, '--seeds', '4,3', '--out', out]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^policygrad: run directory .*seed3 already exists; pass --force/);
    expect(existsSync(join(out, 'seed4'))).toBe(false);
  }, 120_000);

  it('Ctrl-C stops the running seed after a checkpoint and starts no other; it resumes alone', async () => {
    const out = join(work, 'interrupted');
    const child = spawn(
      'node',
      [
        CLI,
        'train',
        '--timesteps',
        // Interrupted at its first checkpoint (step 1,024): 19,000 steps left for the signal to land (seconds).
        '20480',
        '--checkpoint-every',
        '1024',
        '--seeds',
        '5,6,7',
        '--parallel',
        '1',
        '--out',
        out,
      ],
      { cwd: root },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const checkpoints = join(out, 'seed5', 'checkpoints');
    const code = await interruptWhen(
      child,
      () => existsSync(checkpoints) && readdirSync(checkpoints).length >= 1,
    );
    expect(code).toBe(130);
    expect(stdout).toMatch(
      new RegExp(
        `^seed 5 stopped at step [\\d,]+; checkpoint saved; continue with: policygrad train --resume ${out}/seed5$`,
        'm',
      ),
    );
    expect(stdout).toMatch(/^not started: seeds 6,7$/m);
    expect(readdirSync(out)).toEqual(['seed5']);
    const resumed = cli(['train', '--resume', join(out, 'seed5'), '--timesteps', '20480']);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(existsSync(join(out, 'seed5', 'final', 'policy.json'))).toBe(true);
  }, 120_000);

  it('a seed whose loss or parameters stop being finite fails alone, as a run alone stops; exit code 1', () => {
    const out = join(work, 'diverged');
    const result = cli([
      'train',
      '--timesteps',
      '2048',
      '--seeds',
      '1,2',
      '--set',
      'learningRate=1e39',
      '--out',
      out,
    ]);
    expect(result.status).toBe(1);
    for (const seed of [1, 2]) {
      expect(result.stdout).toMatch(
        new RegExp(
          `^seed ${seed} failed: iteration 1 \\(step 256\\): (parameter \\d+|policyLoss|valueLoss|entropy) is (NaN|-?Infinity); training stopped`,
          'm',
        ),
      );
      expect(existsSync(join(out, `seed${seed}`, 'final', 'policy.json'))).toBe(false);
    }
  });

  it('refuses in one line what makes no sense with several seeds', () => {
    const refused = (args: string[], message: string | RegExp) => {
      const result = cli(['train', '--timesteps', '512', '--out', join(work, 'refused'), ...args]);
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    };
    refused(['--seeds', '1,2', '--seed', '3'], '--seed and --seeds are exclusive');
    refused(
      ['--seeds', '1,x'],
      'invalid --seeds "1,x": expected a comma-separated list of non-negative integers',
    );
    refused(['--seeds', '1,,2'], 'invalid --seeds "1,,2"');
    refused(['--seeds', '2,2'], 'seed 2 is given twice: each seed runs once');
    refused(
      ['--seeds', '1,2', '--resume', join(work, 'x')],
      '--resume continues one run directory, --seeds starts several',
    );
    refused(
      ['--parallel', '2'],
      '--parallel is the number of seeds trained at once: give the seeds with --seeds',
    );
    refused(['--seeds', '1,2', '--algo', 'a3c'], /algorithm "a3c" is not supported/);
    refused(['--seeds', '1,2', '--algo', 'appo'], /algorithm "appo" is not supported/);
    refused(['--seeds', '1,2', '--actors', '2'], '--actors applies to impala and appo only; --algo is ppo');
    refused(['--seeds', '1', '--set', 'learningRate=-1'], /learningRate/);
    refused(
      ['--seeds', '1,2', '--parallel', '2', '--threads', '2'],
      '--threads 2 gives each run both cores, but --seeds runs 2 at a time: add --parallel 1',
    );
    expect(existsSync(join(work, 'refused'))).toBe(false);
  });
});
