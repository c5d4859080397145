/** Running the built CLI (dist/, which `npm test` builds first) from tests, and reading what its runs wrote. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

/** `policygrad ARGS…` from the repo root, to completion. */
export function cli(args: string[], env?: NodeJS.ProcessEnv) {
  return spawnSync('node', ['dist/cli/main.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  });
}

/** A run's metrics.csv without the wall-clock columns (sps, time_s): equal for equal runs. */
export function metrics(run: string): string[] {
  return readFileSync(join(run, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -2).join(','));
}
