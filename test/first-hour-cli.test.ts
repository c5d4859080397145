// @module-tag slow: runs the built package (dist/) end to end
/**
 * Issue 13, through the built CLI as a user types it (`npm test` builds dist/ first): MuJoCo from every command,
 * env/seed/algo from --set and --config resolved once, eval refusing a policy that does not fit its env, A3C
 * stopping on a signal, destinations checked before the work, --resume refusing changed settings and extending
 * budgets, flag-parser mistakes, the progress counter, and the existing-run-directory message.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const main = join(root, 'dist', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'policygrad-first-hour-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
/** A small trained run for the commands that read one (eval, plot, export). */
const trained = join(work, 'cartpole');
beforeAll(() => {
  const result = spawnSync('node', [main, 'train', '--timesteps', '100', '--out', trained], {
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
}, 60_000);

function cli(args: string[], cwd = root) {
  return spawnSync('node', [main, ...args], { cwd, encoding: 'utf8' });
}

/** A user mistake: exit code 2 and exactly one line on stderr, no stack trace. */
function expectOneLineError(result: ReturnType<typeof cli>, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.status).toBe(2);
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('MuJoCo from the command line (item 1)', () => {
  it('train --env Hopper-v5 end to end, then eval, export, demo and variance load the engine themselves', () => {
    const run = join(work, 'hopper');
    const train = cli(['train', '--algo', 'ppo', '--env', 'Hopper-v5', '--timesteps', '300', '--out', run]);
    expect(train.stderr).toBe('');
    expect(train.status).toBe(0);
    expect(train.stdout).toMatch(/^ppo on Hopper-v5 \(preset zoo, seed 0/);
    expect(json(join(run, 'final', 'policy.json')).env).toBe('Hopper-v5');

    const evaluation = cli(['eval', run, '--episodes', '1', '--json']);
    expect(evaluation.status, evaluation.stderr).toBe(0);
    expect(JSON.parse(evaluation.stdout).episodes).toBe(1);

    const exported = join(work, 'hopper.json');
    expect(cli(['export', run, '--out', exported]).status).toBe(0);
    expect(json(exported).env).toBe('Hopper-v5');

    const demo = cli(['demo', '--env', 'Hopper-v5', '--episodes', '1']);
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/^episode 1: return/m);

    const variance = cli([
      'variance',
      ...['--env', 'Hopper-v5', '--repeats', '2', '--batch-episodes', '1', '--estimators', 'total', '--json'],
    ]);
    expect(variance.status, variance.stderr).toBe(0);
    expect(JSON.parse(variance.stdout).env).toBe('Hopper-v5');
  });
});

describe('env, seed and algo from --set and --config (item 2)', () => {
  it('--set env=… seed=… names the run, config.json and policy.json by the env actually trained', () => {
    const cwd = join(work, 'sets');
    mkdirSync(cwd);
    const train = cli(['train', '--set', 'env=Pendulum-v1', '--set', 'seed=7', '--timesteps', '200'], cwd);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/^ppo on Pendulum-v1 \(preset zoo, seed 7,.* → runs\/ppo-Pendulum-v1-seed7/);
    const run = join(cwd, 'runs', 'ppo-Pendulum-v1-seed7');
    const config = json(join(run, 'config.json'));
    expect(config).toMatchObject({ algo: 'ppo', env: 'Pendulum-v1', seed: 7 });
    expect(config.config).toMatchObject({ env: 'Pendulum-v1', seed: 7 });
    expect(json(join(run, 'final', 'policy.json')).env).toBe('Pendulum-v1');
  });

  it('algo, env and seed in a YAML config, with the precedence flag > --set > config file > default', () => {
    const cwd = join(work, 'yaml');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'run.yml'), 'algo: a2c\nenv: Acrobot-v1\nseed: 5\ngamma: 0.98\n');
    const base = ['train', '--config', 'run.yml', '--timesteps', '100', '--preset', 'none'];
    expect(cli(base, cwd).stdout).toMatch(/^a2c on Acrobot-v1 \(preset none, seed 5,/);
    expect(json(join(cwd, 'runs', 'a2c-Acrobot-v1-seed5', 'config.json')).config).toMatchObject({
      gamma: 0.98,
      seed: 5,
    });
    expect(cli([...base, '--set', 'seed=6'], cwd).stdout).toMatch(/^a2c on Acrobot-v1 .*seed 6,/);
    expect(cli([...base, '--set', 'seed=6', '--seed', '9'], cwd).stdout).toMatch(/seed 9,.*seed9$/m);
    expect(cli([...base, '--algo', 'ppo', '--seed', '1'], cwd).stdout).toMatch(/^ppo on Acrobot-v1/);
    expectOneLineError(
      cli([...base, '--set', 'seed=-1'], cwd),
      /invalid seed -1: expected a non-negative integer/,
    );
  });
});

describe('eval checks the policy against the env (item 3)', () => {
  it('a policy for other spaces is refused, naming both', () => {
    const cartpole = join(trained, 'final', 'policy.json');
    const mislabelled = join(work, 'mislabelled.json');
    writeFileSync(mislabelled, JSON.stringify({ ...json(cartpole), env: 'Pendulum-v1' }));
    expectOneLineError(
      cli(['eval', mislabelled]),
      /the policy does not fit Pendulum-v1: it takes observations Box of shape \(4,\) and gives actions Discrete\(2\), but Pendulum-v1 has observations Box of shape \(3,\) and actions Box of shape \(1,\)/,
    );
    expectOneLineError(cli(['eval', mislabelled, '--record', join(work, 'x.gif')]), /does not fit/);
  });
});

describe('A3C stops on a signal (item 4)', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s: workers stop within a second, the final policy is saved and said, exit %i',
    async (signal, code) => {
      const run = join(work, `a3c-${signal}`);
      const child = spawn('node', [main, 'train', '--algo', 'a3c', '--timesteps', '50000000', '--out', run], {
        cwd: root,
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      // Signal once the workers are learning (the first metrics row is written).
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          const csv = join(run, 'metrics.csv');
          if (existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length > 2) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
      const sent = performance.now();
      child.kill(signal);
      expect(await exited).toBe(code);
      // Within a second of the signal on an idle machine; 3 s leaves room for a busy CI machine.
      expect(performance.now() - sent).toBeLessThan(3000);
      expect(stdout).toMatch(
        new RegExp(
          `${signal}: stopped at step [\\d,]+ of 50,000,000; final policy saved \\(.*policy\\.json\\)`,
        ),
      );
      expect(json(join(run, 'final', 'policy.json')).algo).toBe('a3c');
      // No checkpoints: --resume says why in one line (A3C's own reason, found by probing a checkpoint).
      expectOneLineError(
        cli(['train', '--resume', run]),
        /cannot resume .*a3c-SIG(INT|TERM): A3C runs have no checkpoints \(lock-free updates have no exact resume point; each worker thread holds its own envs\)$/m,
      );
    },
    30_000,
  );
});

describe('destinations are checked before the work (item 5)', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, '');
  const run = trained;
  it.each([
    [
      ['plot', run, '--out', join(work, 'missing', 'c.svg')],
      /plot: --out .*c\.svg: the directory .*missing does not exist/,
    ],
    [['plot', run, '--out', join(file, 'c.svg')], /plot: --out .*: .*a-file is a file, not a directory/],
    [['plot', run, '--out', run], /plot: --out .* is a directory; expected a file name/],
    [
      ['eval', run, '--record', join(work, 'missing', 'x.gif')],
      /eval: --record .*x\.gif: the directory .*missing does not exist/,
    ],
    [
      ['export', run, '--out', join(work, 'missing', 'p.json')],
      /--out .*p\.json: the directory .*missing does not exist/,
    ],
    [
      ['train', '--timesteps', '100', '--out', join(file, 'run')],
      /run directory .*: .*a-file is a file, not a directory/,
    ],
    [['train', '--timesteps', '100', '--out', file], /--out .*a-file is a file, not a directory/],
  ])('%j', (args, message) => {
    expectOneLineError(cli(args), message);
  });

  it.runIf(process.platform === 'linux')('a directory nobody may write into (/proc), even as root', () => {
    expectOneLineError(cli(['plot', run, '--out', '/proc/c.svg']), /the directory \/proc is not writable/);
    expectOneLineError(cli(['eval', run, '--record', '/proc/x.gif']), /the directory \/proc is not writable/);
    expectOneLineError(
      cli(['train', '--out', '/proc/run']),
      /run directory \/proc\/run: the directory \/proc is not writable/,
    );
  });
});

describe('--resume with other settings (item 6)', () => {
  const run = join(work, 'resume');
  it('refuses each setting that differs from the saved run, naming it; accepts equal ones', () => {
    expect(cli(['train', '--timesteps', '1024', '--checkpoint-every', '512', '--out', run]).status).toBe(0);
    writeFileSync(join(work, 'other.yml'), 'gamma: 0.5\n');
    const cases: [string[], RegExp][] = [
      [['--env', 'Pendulum-v1'], /--env Pendulum-v1 \(the run's env is "CartPole-v1"\)/],
      [['--algo', 'a2c'], /--algo a2c \(the run's algo is "ppo"\)/],
      [['--set', 'learningRate=0.5'], /--set learningRate=0.5 \(the run's learningRate is "lin_0.001"\)/],
      [['--config', join(work, 'other.yml')], /--config .*other\.yml: gamma \(the run's gamma is 0.98\)/],
      [['--seed', '3'], /--seed 3 \(the run's seed is 0\)/],
      [['--out', join(work, 'elsewhere')], /--out cannot be combined with --resume/],
      [['--timesteps', '512'], /the run's budget is 1024; a resumed run can be extended .* not shortened/],
    ];
    for (const [flags, message] of cases) {
      expectOneLineError(cli(['train', '--resume', run, ...flags]), message);
    }
    const same = cli(['train', '--resume', run, '--env', 'CartPole-v1', '--set', 'gaeLambda=0.8']);
    expect(same.status, same.stderr).toBe(0);
  });

  it('--timesteps above the saved budget extends the run, says so and records it', () => {
    const extended = cli(['train', '--resume', run, '--timesteps', '2048']);
    expect(extended.status, extended.stderr).toBe(0);
    expect(extended.stdout).toMatch(/budget extended from 1,024 to 2,048 steps \(recorded in config\.json\)/);
    expect(json(join(run, 'config.json')).totalTimesteps).toBe(2048);
    const steps = readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n').at(-1)?.split(',')[1];
    expect(steps).toBe('2048');
  });
});

describe('option parsing (item 8)', () => {
  const run = trained;
  it.each([
    [['train', '--timesteps', '-5'], /^policygrad: option '--timesteps <n>' argument '-5' is invalid/],
    [['train', '--bogus'], /^policygrad: unknown option '--bogus'/],
    [['eval', run, '--deterministic', '--stochastic'], /--deterministic and --stochastic contradict/],
    [
      ['train', '--set', 'batchSize=512'],
      /batchSize 512 is larger than the rollout \(numEnvs × nSteps = 8 × 32 = 256\)/,
    ],
    [
      ['train', '--algo', 'ppo2'],
      /unknown algorithm "ppo2" \(did you mean ppo or appo\?\): expected one of ppo, a2c, trpo, npg, reinforce, a3c, recurrent-ppo, recurrent-a2c, impala, appo$/m,
    ],
    [
      ['train', '--set', 'learning_rate=0.001'],
      /unknown option 'learning_rate' \(did you mean learningRate\?\)/,
    ],
  ])('%j is one line, exit 2', (args, message) => {
    // An --out of its own: a mistake not caught would train into it, not into the repository's runs/.
    const out = args[0] === 'train' ? ['--out', join(work, 'never-written')] : [];
    expectOneLineError(cli([...args, ...out]), message);
    expect(existsSync(join(work, 'never-written'))).toBe(false);
  });

  it('eval --deterministic is accepted (the default, said explicitly)', () => {
    const result = cli(['eval', run, '--deterministic', '--episodes', '1']);
    expect(result.status, result.stderr).toBe(0);
  });
});

describe('the progress counter (item 9)', () => {
  it('never shows more than the budget; the closing line says the last iteration rounded up', () => {
    const result = cli(['train', '--timesteps', '300', '--out', join(work, 'progress')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^300\/300 steps \(100%\)/m);
    expect(result.stdout).not.toMatch(/512\/300/);
    expect(result.stdout).toMatch(
      /^done: 512 steps \(the last iteration's rollout rounds the 300-step budget up\); 10 deterministic/m,
    );
  });
});

describe('an existing run directory (item 10)', () => {
  it('npm run train refuses it at once (no rebuild when dist/ is current), naming npm run train -- --force', () => {
    const run = trained;
    const result = spawnSync('npm', ['run', 'train', '--', '--timesteps', '100', '--out', run], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /already exists; pass --force to overwrite it \(npm run train -- --force\), or --out to choose another \(npm run train -- --out runs\/NEW-NAME\)/,
    );
    expect(result.stdout).not.toMatch(/> policygrad@[\d.]+ build/);
    expectOneLineError(cli(['train', '--timesteps', '100', '--out', run]), /\(policygrad train --force\)/);
  }, 60_000);
});

describe('smaller (issue 13)', () => {
  it('a YAML parse error says the line and does not end in a dangling colon', () => {
    writeFileSync(join(work, 'bad.yml'), 'a: b: c\n');
    const result = cli(['train', '--config', join(work, 'bad.yml')]);
    expectOneLineError(
      result,
      /bad\.yml, line 1 is not valid YAML: Nested mappings are not allowed in compact mappings$/m,
    );
  });

  it('a run on async vector envs checkpoints like any other (the workers snapshot their envs) and saves its policy', () => {
    const run = join(work, 'async');
    const args = ['--set', 'vectorEnv=async', '--n-envs', '2', '--set', 'batchSize=64', '--timesteps', '100'];
    const result = cli(['train', ...args, '--out', run]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/no checkpoints in this run/);
    expect(readdirSync(join(run, 'checkpoints')).length).toBeGreaterThan(0);
    expect(existsSync(join(run, 'final', 'policy.json'))).toBe(true);
  });

  it('output piped into a reader that stops early (| head -1) ends quietly', () => {
    const head = spawnSync('sh', ['-c', `node ${main} train --help | head -1`], { encoding: 'utf8' });
    expect(head.stdout).toBe('Usage: policygrad train [options]\n');
    // `true` reads nothing and exits before the CLI has started: every write meets a closed pipe.
    for (const command of ['train --help', 'list envs']) {
      const closed = spawnSync('sh', ['-c', `node ${main} ${command} | true`], { encoding: 'utf8' });
      expect(closed.stderr, command).toBe('');
    }
  });

  it("require('policygrad') works, or says the package is ESM-only and how to import it", () => {
    const script = "const p = require('policygrad'); console.log(String(p.make('CartPole-v1')))";
    const works = spawnSync('node', ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(works.stdout.trim()).toBe('<TimeLimit<OrderEnforcing<CartPoleEnv<CartPole-v1>>>>');
    const old = spawnSync('node', ['--no-experimental-require-module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    if (/bad option/.test(old.stderr)) return; // a Node without require(esm) at all: the message case below
    expect(old.stderr).toMatch(
      /policygrad is an ES module \(ESM-only\) package .*import \{ PPO \} from 'policygrad'.*await import\('policygrad'\)/,
    );
  });
});
