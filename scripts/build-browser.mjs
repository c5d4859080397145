// Bundles the browser-safe core (src/index.ts) and the inference entry (src/inference.ts) into self-contained ES
// modules in dist/browser/, for pages without a bundler: <script type="module"> import { PPO } from
// './policygrad.js'. Dependencies (zod, pure-rand) are inlined; the WebAssembly kernels are already embedded in
// the code. The optional engines `mujoco-js` and `planck` stay external dynamic imports: loadEnvEngine() needs them
// resolvable (an import map) for the MuJoCo and Box2D envs.
// Also copies uPlot (MIT, a dev dependency) into dist/dashboard for the page `policygrad dashboard` serves.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// One build per entry: the core uses modules the inference entry also defines (its activations), and a shared
// build would split them into a chunk both import; each file must stand alone.
for (const [name, entry, emptyOutDir] of [
  ['policygrad', 'index.ts', true],
  ['inference', 'inference.ts', false],
]) {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: join(root, 'dist', 'browser'),
      emptyOutDir,
      target: 'es2022',
      sourcemap: true,
      minify: true,
      lib: {
        entry: { [name]: join(root, 'src', entry) },
        formats: ['es'],
        fileName: (_format, entryName) => `${entryName}.js`,
      },
      rollupOptions: { external: ['mujoco-js', 'planck'] },
    },
  });
}
console.log('browser bundles -> dist/browser/policygrad.js, dist/browser/inference.js');

const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
const dashboard = join(root, 'dist', 'dashboard');
mkdirSync(dashboard, { recursive: true });
for (const [from, to] of [
  ['dist/uPlot.iife.min.js', 'uPlot.iife.min.js'],
  ['dist/uPlot.min.css', 'uPlot.min.css'],
  ['LICENSE', 'uPlot.LICENSE'],
]) {
  copyFileSync(join(uplot, from), join(dashboard, to));
}
console.log('uPlot -> dist/dashboard/uPlot.iife.min.js, uPlot.min.css');
