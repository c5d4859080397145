/** Shared by the dashboard tests: real runs made by the CLI, and the dashboard started as a user starts it. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export const ROOT = new URL('..', import.meta.url).pathname;

/** Trains a short real run with the CLI into `dir`. */
export function trainRun(dir: string, seed: number, timesteps = 2048): void {
  execFileSync(
    'node',
    ['dist/cli/main.js', 'train', '--timesteps', String(timesteps), '--seed', String(seed), '--out', dir],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

/** `policygrad dashboard <root> --port 0 [...args]`; resolves with the URL it prints. */
export function startDashboardCli(
  runsRoot: string,
  args: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('node', ['dist/cli/main.js', 'dashboard', runsRoot, '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`dashboard did not start: ${out}${err}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/\S+\/)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dashboard exited with ${code}: ${out}${err}`));
    });
  });
}
