/** The built CLI (dist/cli/main.js) as a child process, for tests: its output collected, its exit awaited. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

/** Starts `policygrad ARGS…` with `env`; adds it to `children` (for the test's cleanup). */
export function startCli(args: string[], env: NodeJS.ProcessEnv, children: ChildProcess[]) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; output: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, output })),
  );
  return { child, done, output: () => output };
}
