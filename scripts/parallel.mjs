// Runs npm scripts at the same time and fails if any fails: `npm test`'s checks (type-check, eslint, prettier,
// build) read disjoint outputs and are each one single-threaded process, so on CI's two cores running them
// together takes about half the wall time of running them one after another. Each script's output is printed
// whole once it ends (never interleaved), under a header with its name, exit status and seconds.
// npm test builds with `build:js-unchecked` (tsc --noCheck: the same JavaScript, 6.5 instead of 13 CPU seconds)
// because the type-check running beside it checks src/ already; `npm run build` alone still checks.
// Usage: node scripts/parallel.mjs <npm script>...
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node scripts/parallel.mjs <npm script>...');
  process.exit(2);
}

const npm = process.env.npm_execpath;
const results = await Promise.all(
  names.map((name) =>
    new Promise((resolve) => {
      const started = performance.now();
      // Through npm (as `npm run <name>` would): its own PATH with node_modules/.bin and its pre/post hooks.
      const child = npm
        ? spawn(process.execPath, [npm, 'run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'], shell: true });
      const chunks = [];
      child.stdout.on('data', (chunk) => chunks.push(chunk));
      child.stderr.on('data', (chunk) => chunks.push(chunk));
      child.on('error', (error) => resolve({ name, code: 1, output: `${error.message}\n`, started }));
      child.on('close', (code, signal) =>
        resolve({ name, code: code ?? 1, signal, output: Buffer.concat(chunks).toString(), started }),
      );
    }).then((result) => {
      const seconds = ((performance.now() - result.started) / 1000).toFixed(1);
      const status = result.code === 0 ? 'ok' : `failed (${result.signal ?? `exit ${result.code}`})`;
      process.stdout.write(`> ${result.name}: ${status}, ${seconds} s\n${result.output}`);
      return result;
    }),
  ),
);
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
