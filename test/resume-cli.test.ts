// @module-tag slow: runs the built package (dist/) end to end
/**
 * Checkpoints and resume through the built CLI (`npm test` builds dist/ first): a SIGINT saves a checkpoint and
 * exits 130; `--resume` then finishes the run with exactly the metrics and parameters of an uninterrupted run;
 * broken, foreign or missing checkpoints are refused with a clear message and nothing is overwritten.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interruptWhen } from './cli-helpers.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-resume-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync('node', ['dist/cli/main.js', ...args], { cwd: root, encoding: 'utf8' });
}

/** metrics.csv without the wall-clock columns (sps, time_s). */
function metrics(run: string): string[] {
  return readFileSync(join(run, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -2).join(','));
}

function params(run: string): string {
  return JSON.parse(readFileSync(join(run, 'final', 'policy.json'), 'utf8')).params;
}

function snapshotFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[path] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

// 20,480 steps: the runs below are interrupted at the second checkpoint (step 4,096), which leaves 16,000 steps
// (seconds on a busy machine) for the signal to land before the end, and dozens of iterations after the resume.
const TRAIN = ['train', '--timesteps', '20480', '--checkpoint-every', '2048', '--seed', '2'];
const interrupted = join(work, 'interrupted');
const reference = join(work, 'reference');

describe('checkpoints and --resume (CLI)', () => {
  it('SIGINT saves a checkpoint and exits 130; --resume finishes with the metrics of an uninterrupted run', async () => {
    const child = spawn('node', ['dist/cli/main.js', ...TRAIN, '--out', interrupted], { cwd: root });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Interrupt once two checkpoints exist (well into the run, well before its end).
    const checkpoints = join(interrupted, 'checkpoints');
    const code = await interruptWhen(
      child,
      () =>
        existsSync(checkpoints) && readdirSync(checkpoints).filter((f) => f.endsWith('.json')).length >= 2,
    );
    expect(code).toBe(130);
    expect(stdout).toMatch(
      /SIGINT: stopped; checkpoint saved \(.*step-\d+\.json\); continue with: policygrad train --resume/,
    );
    expect(existsSync(join(interrupted, 'final', 'policy.json'))).toBe(false);

    const resumed = cli(['train', '--resume', interrupted]);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(
      /^resuming ppo on CartPole-v1 from .*step-\d+\.json \(step [\d,]+ of 20,480/,
    );

    expect(cli([...TRAIN, '--out', reference]).status).toBe(0);
    expect(metrics(interrupted)).toEqual(metrics(reference));
    expect(params(interrupted)).toBe(params(reference));
  }, 120_000);

  it('a killed run (SIGKILL, no final/ directory) resumes and finishes with the metrics of an uninterrupted run', async () => {
    const killed = join(work, 'killed');
    const child = spawn('node', ['dist/cli/main.js', ...TRAIN, '--out', killed], { cwd: root });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const dir = join(killed, 'checkpoints');
        if (existsSync(dir) && readdirSync(dir).filter((f) => f.endsWith('.json')).length >= 2) {
          clearInterval(poll);
          child.kill('SIGKILL'); // no handler runs: what a crash, the OOM killer or a power cut leaves
          resolve();
        }
      }, 20);
    });
    await new Promise((resolve) => child.on('exit', resolve));
    expect(existsSync(join(killed, 'final', 'policy.json'))).toBe(false);
    // A run that never finished has no final/ (nor has one copied by a tool that skips empty directories).
    rmSync(join(killed, 'final'), { recursive: true, force: true });

    const resumed = cli(['train', '--resume', killed]);
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(metrics(killed)).toEqual(metrics(reference));
    expect(params(killed)).toBe(params(reference));
  }, 120_000);

  it('a crash in the middle of writing a checkpoint leaves the previous one in use', () => {
    const run = join(work, 'crashed');
    cpSync(interrupted, run, { recursive: true });
    const dir = join(run, 'checkpoints');
    const newest = readdirSync(dir).sort().at(-1) as string;
    // What a kill during writeAtomically leaves: a partial temporary file beside the intact checkpoints.
    writeFileSync(
      join(dir, 'step-9999999999.json.tmp'),
      readFileSync(join(dir, newest), 'utf8').slice(0, 100),
    );
    const resumed = cli(['train', '--resume', run]);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toContain(newest);
  }, 60_000);

  it.each([
    [
      'a truncated checkpoint',
      (run: string, newest: string) => writeFileSync(newest, readFileSync(newest, 'utf8').slice(0, 500)),
      /checkpoint .* is corrupt or truncated .*nothing was changed/,
    ],
    [
      'a checkpoint of another env',
      (run: string) => {
        const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
        writeFileSync(
          join(run, 'config.json'),
          JSON.stringify({ ...config, env: 'Acrobot-v1', config: { ...config.config, env: 'Acrobot-v1' } }),
        );
      },
      /the checkpoint was made by "ppo" on "CartPole-v1", not by 'ppo' on 'Acrobot-v1'/,
    ],
    [
      'a run without checkpoints',
      (run: string) => rmSync(join(run, 'checkpoints'), { recursive: true }),
      /has no checkpoint/,
    ],
  ])('refuses %s with one line, exit code 2, and changes nothing', (_name, breakIt, message) => {
    const run = join(work, `broken-${_name.replaceAll(' ', '-')}`);
    cpSync(interrupted, run, { recursive: true });
    const dir = join(run, 'checkpoints');
    const newest = join(dir, readdirSync(dir).sort().at(-1) as string);
    breakIt(run, newest);
    const before = snapshotFiles(run);
    const result = cli(['train', '--resume', run]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(snapshotFiles(run)).toEqual(before);
  });

  it('refuses to resume a directory that holds no run', () => {
    const result = cli(['train', '--resume', join(work, 'nothing-here')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot resume .*nothing-here: no run there/);
  });

  it('stops on a non-finite parameter or loss, naming the iteration and the quantity', () => {
    const run = join(work, 'diverged');
    const result = cli(['train', '--timesteps', '4096', '--set', 'learningRate=1e39', '--out', run]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /iteration 1 \(step 256\): (parameter \d+|policyLoss|valueLoss|entropy) is (NaN|-?Infinity); training stopped/,
    );
    expect(existsSync(join(run, 'final', 'policy.json'))).toBe(false);
  });
});
