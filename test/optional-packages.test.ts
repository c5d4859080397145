/**
 * Install size (ARCHITECTURE.md § "Install size"): the plotting stack, gifenc and mujoco-js are optional peer
 * dependencies, imported only by the code that needs them; when one is missing the user gets one line naming what
 * to `npm install` and what for. Missing packages are simulated by a package source that fails as Node does for a
 * package that is not installed (code ERR_MODULE_NOT_FOUND / MODULE_NOT_FOUND), not by uninstalling.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedPackages, loadOptional, type PackageSource } from '../src/cli/optional-packages.js';
import { runPlot } from '../src/cli/plot.js';
import { loadGifenc } from '../src/cli/record.js';
import { loadMujoco } from '../src/envs/mujoco/engine.js';
import { PolicygradError } from '../src/internal.js';

const root = new URL('..', import.meta.url).pathname;
// planck (Box2D) and bullmq/ioredis (Redis runs) are optional peers too, loaded where they are used.
const OPTIONAL = [
  '@resvg/resvg-wasm',
  'bullmq',
  'dejavu-fonts-ttf',
  'gifenc',
  'ioredis',
  'mujoco-js',
  'planck',
  'vega',
  'vega-lite',
];

const notFound = (specifier: string, code = 'ERR_MODULE_NOT_FOUND') =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from ${root}`), { code });

/** The installed packages, except `missing` (by package name), which fail as if not installed. */
function without(...missing: string[]): PackageSource {
  const gone = (specifier: string) =>
    missing.some((name) => specifier === name || specifier.startsWith(`${name}/`));
  return {
    import: (specifier) =>
      gone(specifier) ? Promise.reject(notFound(specifier)) : installedPackages.import(specifier),
    resolve: (specifier) => {
      if (gone(specifier)) throw notFound(specifier, 'MODULE_NOT_FOUND');
      return installedPackages.resolve(specifier);
    },
  };
}

/** The one line `action` throws. */
async function oneLine(action: () => Promise<unknown>): Promise<string> {
  const error = await action().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicygradError);
  const message = (error as Error).message;
  expect(message.split('\n')).toHaveLength(1);
  return message;
}

describe('optional packages', () => {
  it('plot: names the missing chart packages and the command that installs them', async () => {
    const options = { metric: 'episode_return_mean', x: 'step' as const, out: 'curve.svg' };
    expect(await oneLine(() => runPlot(['runs/x'], options, without('vega-lite')))).toBe(
      'plot (charts) needs the optional package vega-lite, not installed: npm install vega-lite',
    );
    expect(
      await oneLine(() =>
        runPlot(
          ['runs/x'],
          { ...options, out: 'curve.png' },
          without('dejavu-fonts-ttf', '@resvg/resvg-wasm'),
        ),
      ),
    ).toBe(
      'plot (charts; PNG rendering and its font) needs the optional packages @resvg/resvg-wasm, dejavu-fonts-ttf, not installed: npm install @resvg/resvg-wasm dejavu-fonts-ttf',
    );
  });

  it('eval --record: names gifenc', async () => {
    expect(await oneLine(() => loadGifenc(without('gifenc')))).toBe(
      'eval --record (GIF encoding) needs the optional package gifenc, not installed: npm install gifenc',
    );
    const gifenc = await loadGifenc();
    expect(typeof gifenc.GIFEncoder).toBe('function');
  });

  it('the MuJoCo envs: name mujoco-js, and a later call with the package loads the engine', async () => {
    expect(await oneLine(() => loadMujoco(() => Promise.reject(notFound('mujoco-js'))))).toBe(
      'the MuJoCo envs (the MuJoCo WebAssembly engine) needs the optional package mujoco-js, not installed: npm install mujoco-js',
    );
    expect(await loadMujoco()).toMatch(/^3\./);
  });

  it('a package that is installed but fails for another reason is reported as it is, not as missing', async () => {
    const broken: PackageSource = {
      ...installedPackages,
      import: () => Promise.reject(new SyntaxError('bad')),
    };
    await expect(loadOptional('x', { imports: ['vega'] }, broken)).rejects.toThrow(SyntaxError);
  });

  it('package.json: each is an optional peer and a dev dependency, never a dependency; uplot is dev only', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(OPTIONAL);
    for (const name of OPTIONAL) {
      expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(pkg.devDependencies[name], name).toBe(pkg.peerDependencies[name]);
    }
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['commander', 'pure-rand', 'yaml', 'zod']);
    expect(pkg.devDependencies.uplot).toBeDefined();
  });

  it('no source file imports an optional package statically (type-only imports aside)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const packages = [...OPTIONAL, 'uplot'].map((name) => name.replace('/', '\\/')).join('|');
    const staticImport = new RegExp(`^import (?!type )[^;]*from '(${packages})(/[^']*)?';`, 'm');
    const offenders = files(join(root, 'src')).filter((file) =>
      staticImport.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
