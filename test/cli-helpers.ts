/** Running the built CLI (dist/, which `npm test` builds first) from tests, and reading what its runs wrote. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = new URL('..', import.meta.url).pathname;

/** `policygrad ARGS…` from the repo root, to completion. */
export function cli(args: string[], env?: NodeJS.ProcessEnv) {
  return spawnSync('node', ['dist/cli/main.js', ...args], {
    cwd: root,
    encoding: 'utf8',
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  });
}

/** A CLI process running in the background (a worker, a sweep), its output collected. */
export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `policygrad ARGS…` from the repo root, in the background. */
export function start(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn('node', ['dist/cli/main.js', ...args], { cwd: root, env: { ...process.env, ...env } });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Every file under a directory. */
export function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

/** A run's metrics.csv without the wall-clock columns (sps, time_s): equal for equal runs. */
export function metrics(run: string): string[] {
  return readFileSync(join(run, 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -2).join(','));
}

/** Crashy-v0: CartPole, whose simulator throws (a crash, not a user error) after 300 steps when seeded with 7. */
export const CRASHY_ENV = `import { make, register } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'node.js')).href)};
register({
  id: 'Crashy-v0',
  entryPoint: (options) => {
    const env = make('CartPole-v1', options);
    const reset = env.reset.bind(env);
    const step = env.step.bind(env);
    let crashes = false;
    let steps = 0;
    env.reset = (o = {}) => {
      if (o.seed !== undefined) crashes = o.seed === 7;
      return reset(o);
    };
    env.step = (action) => {
      if (crashes && ++steps > 300) throw new Error('the simulator crashed');
      return step(action);
    };
    return env;
  },
});
`;

/** Sends `signal` to `child` once `ready()` holds (polled every 20 ms); resolves with the child's exit code. */
export async function interruptWhen(
  child: ChildProcess,
  ready: () => boolean,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll);
        child.kill(signal);
        resolve();
      }
    }, 20);
  });
  return exited;
}

/**
 * Resolves once `running`'s output matches `pattern`; rejects, quoting the output, when it exits first or
 * `timeoutMs` passes (so a process that hangs or skips a step fails with what it printed, not a bare test timeout).
 */
export async function outputMatches(running: Running, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (pattern.test(running.output())) return;
    const ended = running.child.exitCode !== null || running.child.signalCode !== null;
    if (ended || performance.now() > deadline) {
      throw new Error(
        `${ended ? 'exited' : `still running after ${timeoutMs} ms`} without printing ${pattern}:\n${running.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `running`'s exit code; rejects, quoting its output, when it has not exited within `timeoutMs`. */
export async function exitCodeWithin(running: Running, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${timeoutMs} ms:\n${running.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([running.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}
