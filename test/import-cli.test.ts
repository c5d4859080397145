// @module-tag slow: runs the built package (dist/) end to end
/**
 * `--import` through the built CLI (issue 13, item 11): modules imported before anything else, in order, in the
 * CLI and in the worker threads (vectorEnv 'async'); recorded in the run's config.json as file URLs (relative
 * paths resolved against the working directory) and imported again by `eval` and `train --resume`; a module that
 * is missing or throws is one line and exit code 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveEnvModule } from '../src/node/env-modules.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'policygrad-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const library = pathToFileURL(join(root, 'dist', 'node.js')).href;
const url = (file: string) => pathToFileURL(join(work, file)).href;

/** first.js registers First-v0; second.js needs it (so the order is checked) and registers Second-v0. */
writeFileSync(
  join(work, 'first.js'),
  `import { make, register } from '${library}';
   register({ id: 'First-v0', entryPoint: () => make('CartPole-v1') });`,
);
writeFileSync(
  join(work, 'second.js'),
  `import { listEnvs, make, register } from '${library}';
   if (!listEnvs().includes('First-v0')) throw new Error('first.js was not imported before second.js');
   register({ id: 'Second-v0', entryPoint: () => make('First-v0'), maxEpisodeSteps: 200 });`,
);
writeFileSync(join(work, 'throws.js'), `throw new TypeError('this module is broken');`);

function cli(args: string[]) {
  const run = spawnSync('node', [join(root, 'dist', 'cli', 'main.js'), ...args], {
    cwd: work,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const TRAIN = 'train --env Second-v0 --timesteps 512 --set nSteps=128 --set batchSize=64'.split(' ');

describe('policygrad --import', () => {
  it('imports modules in order, in the CLI and in async vector env workers, and records them as file URLs', () => {
    const run = join(work, 'async');
    const imports = ['--import', './first.js', '--import', './second.js'];
    const trained = cli([
      ...TRAIN,
      ...imports,
      '--set',
      'vectorEnv=async',
      '--set',
      'numEnvs=2',
      '--out',
      run,
    ]);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config.imports).toEqual([url('first.js'), url('second.js')]);
    expect(config.config.envModules).toEqual([url('first.js'), url('second.js')]);
    expect(config.config.vectorEnv).toBe('async');

    // eval imports what the run recorded
    const evaluation = cli(['eval', run, '--episodes', '2']);
    expect(evaluation.stderr).toBe('');
    expect(evaluation.stdout).toMatch(/^2 episodes: return/);
  });

  it('train --resume imports the recorded modules; a moved module is named, and --import replaces it', () => {
    const run = join(work, 'resume');
    expect(cli([...TRAIN, '--import', './first.js', '--import', './second.js', '--out', run]).status).toBe(0);
    const resumed = cli(['train', '--resume', run]);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/^resuming ppo on Second-v0/);

    renameSync(join(work, 'second.js'), join(work, 'moved.js'));
    try {
      const moved = cli(['eval', run]);
      expect(moved.status).toBe(2);
      expect(moved.stderr).toBe(
        `policygrad: ${run} was trained with --import ${url('second.js')}: no such file (if it moved, pass --import with its new path)\n`,
      );
      const given = cli(['eval', run, '--episodes', '1', '--import', './first.js', '--import', './moved.js']);
      expect(given.stderr).toBe('');
      expect(given.stdout).toMatch(/^1 episodes: return/);
    } finally {
      renameSync(join(work, 'moved.js'), join(work, 'second.js'));
    }
  });

  it('resolves specifiers as node --import does: paths against the working directory, URLs and packages as given', () => {
    expect(resolveEnvModule('./envs/a.js', '/home/me/project')).toBe('file:///home/me/project/envs/a.js');
    expect(resolveEnvModule('../a.js', '/home/me/project')).toBe('file:///home/me/a.js');
    expect(resolveEnvModule('/opt/envs/a.js', '/home/me')).toBe('file:///opt/envs/a.js');
    expect(resolveEnvModule('file:///opt/envs/a.js', '/home/me')).toBe('file:///opt/envs/a.js');
    expect(resolveEnvModule('my-gym-envs', '/home/me')).toBe('my-gym-envs');
    expect(resolveEnvModule('@me/envs/register', '/home/me')).toBe('@me/envs/register');
  });

  it('list envs shows what the imported modules register', () => {
    const list = cli(['list', 'envs', '--import', './first.js', '--import', './second.js']);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^First-v0$/m); // no description, no limit: nothing but the id
    expect(list.stdout).toMatch(/^Second-v0 +200 steps$/m);
  });

  it('a missing module or one that throws: one line, exit code 2, nothing written', () => {
    const out = join(work, 'never');
    const missing = cli([...TRAIN, '--import', './nope.js', '--out', out]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`policygrad: --import ./nope.js (${url('nope.js')}): no such file\n`);
    const bare = cli(['demo', '--import', 'first.js']);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toBe(
      'policygrad: --import first.js: no package of that name (a file needs a path: ./first.js)\n',
    );
    const throws = cli([...TRAIN, '--import', './throws.js', '--out', out]);
    expect(throws.status).toBe(2);
    expect(throws.stderr).toBe(
      `policygrad: --import ./throws.js (${url('throws.js')}): the module threw TypeError: this module is broken\n`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
