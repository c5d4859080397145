/**
 * planck, the Box2D engine, is an optional peer dependency (ARCHITECTURE.md, "Install size"): nothing in src/
 * imports it statically, `make` of a Box2D env before `loadEnvEngine` says in one line what to await, and a
 * missing package is named with the command that installs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as CoreModule from '../src/internal.js';

type Core = typeof CoreModule;

/** A fresh copy of the library's module graph: its engines not loaded yet. */
async function freshCore(): Promise<Core> {
  vi.resetModules();
  return (await import('../src/internal.js')) as Core;
}

afterEach(() => {
  vi.doUnmock('planck');
  vi.resetModules();
});

describe('Box2D envs load planck lazily', () => {
  it('make() before loadEnvEngine throws one line saying what to await, for every Box2D id', async () => {
    const core = await freshCore();
    const ids = core.listEnvs().filter((id) => /LunarLander|BipedalWalker/.test(id));
    expect(ids).toEqual([
      'BipedalWalker-v3',
      'BipedalWalkerHardcore-v3',
      'LunarLander-v3',
      'LunarLanderContinuous-v3',
      'LunarLanderContinuousNoVel-v3',
      'LunarLanderNoVel-v3',
    ]);
    for (const id of ids) {
      expect(core.getRegistration(id)?.engine, id).toBe('box2d');
      expect(() => core.make(id), id).toThrow(core.PolicygradError);
    }
    expect(() => core.make('LunarLander-v3')).toThrow(
      "LunarLander-v3 runs on the Box2D engine, which loads asynchronously: await loadEnvEngine('LunarLander-v3') once before make('LunarLander-v3')",
    );
    expect(() => new core.BipedalWalkerEnv()).toThrow(/await loadEnvEngine\('BipedalWalker-v3'\)/);
    await core.loadEnvEngine('BipedalWalkerHardcore-v3');
    expect(core.make('LunarLander-v3').reset({ seed: 1 }).observation).toHaveLength(8);
  });

  it('without the planck package, loadEnvEngine names npm install planck and why, in one line', async () => {
    vi.doMock('planck', () => {
      throw new Error("Cannot find package 'planck' imported from policygrad");
    });
    const core = await freshCore();
    const failure = await core.loadEnvEngine('BipedalWalker-v3').then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(core.PolicygradError);
    expect(failure!.message).toMatch(
      /^the Box2D envs \(LunarLander, BipedalWalker\) need the physics engine 'planck', an optional peer dependency of policygrad that is not installed: run npm install planck \(.+\)$/,
    );
    expect(failure!.message).not.toContain('\n');
    // Classic control needs no engine and works without planck.
    await core.loadEnvEngine('CartPole-v1');
    expect(core.make('CartPole-v1').reset({ seed: 0 }).observation).toHaveLength(4);
  });

  it('no module of src/ imports planck except engine.ts, and that one only dynamically (types aside)', () => {
    const root = new URL('../src/', import.meta.url).pathname;
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const importers = files.filter((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return /import\s*\(\s*'planck'\s*\)|^import\s+(?!type\b)[^;]*from\s+'planck'/m.test(text);
    });
    expect(importers).toEqual([join('envs', 'box2d', 'engine.ts')]);
    const engine = readFileSync(join(root, 'envs', 'box2d', 'engine.ts'), 'utf8');
    expect(engine).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+'planck'/m);
  });

  it(
    'the built CLI without planck (a resolve hook hides it): one line naming npm install planck, exit 2',
    { tags: ['slow'] },
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'policygrad-no-planck-'));
      try {
        writeFileSync(
          join(dir, 'hooks.mjs'),
          `export async function resolve(specifier, context, next) {
  if (specifier === 'planck') throw Object.assign(new Error("Cannot find package 'planck'"), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}\n`,
        );
        writeFileSync(
          join(dir, 'register.mjs'),
          "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
        );
        const cli = (args: string[]) =>
          spawnSync('node', ['--import', join(dir, 'register.mjs'), 'dist/cli/main.js', ...args], {
            encoding: 'utf8',
          });
        const walker = cli(['demo', '--env', 'BipedalWalker-v3', '--episodes', '1']);
        expect(walker.status).toBe(2);
        expect(walker.stderr.trim().split('\n')).toHaveLength(1);
        expect(walker.stderr).toMatch(
          /optional peer dependency of policygrad that is not installed: run npm install planck/,
        );
        // Everything else works without it.
        expect(cli(['demo', '--env', 'CartPole-v1', '--episodes', '1']).status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
