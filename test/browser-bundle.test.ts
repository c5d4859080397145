/**
 * The core runs in a browser unchanged (ARCHITECTURE.md § The platform line): bundling `src/index.ts` for the browser must not reach any
 * Node built-in. The bundler reports every import it resolves; a `node:` or bare built-in name fails the test.
 * (`mujoco-js` is the one optional dependency loaded by URL/dynamic import only when `loadMujoco()` is called, and
 * is left to the host page's bundler.)
 */
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'vite';
import { describe, expect, it } from 'vitest';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function recordImports(seen: Set<string>): Plugin {
  return {
    name: 'record-imports',
    enforce: 'pre',
    resolveId(source) {
      seen.add(source);
      return null;
    },
  };
}

async function bundle(entry: string): Promise<{ imports: Set<string>; code: string }> {
  const imports = new Set<string>();
  const result = await build({
    configFile: false,
    logLevel: 'error',
    plugins: [recordImports(imports)],
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: join(process.cwd(), entry), formats: ['es'], fileName: 'core' },
      rollupOptions: { external: ['mujoco-js'] },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  const code = outputs.map((o) => ('code' in o ? o.code : '')).join('\n');
  return { imports, code };
}

describe('browser bundle of the core', () => {
  it('src/index.ts reaches no Node built-in', async () => {
    const { imports, code } = await bundle('src/index.ts');
    expect(imports.size).toBeGreaterThan(20); // the recorder saw the core's modules
    expect([...imports].filter((name) => BUILTINS.has(name) || name.startsWith('node:'))).toEqual([]);
    expect(code).not.toMatch(/from\s+["']node:/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toContain('class PPO');
  }, 60_000);

  it('the inference entry reaches no Node built-in and no dependency', async () => {
    const { imports } = await bundle('src/inference.ts');
    expect([...imports].filter((name) => !name.startsWith('.') && !name.startsWith('/'))).toEqual([]);
  }, 60_000);

  it('the check works: the Node entry does reach Node built-ins', async () => {
    const { imports } = await bundle('src/node.ts');
    expect([...imports].some((name) => BUILTINS.has(name))).toBe(true);
  }, 60_000);
});

describe('the shipped browser bundles (dist/browser, built by npm run build)', { tags: ['slow'] }, () => {
  const importsOf = (code: string) =>
    [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((m) => m[1]);

  it('policygrad.js imports nothing but the optional engines mujoco-js and planck; inference.js imports nothing', () => {
    const core = readFileSync(join(process.cwd(), 'dist', 'browser', 'policygrad.js'), 'utf8');
    expect([...new Set(importsOf(core))].sort()).toEqual(['mujoco-js', 'planck']);
    expect(core).not.toMatch(/\brequire\(/);
    const inference = readFileSync(join(process.cwd(), 'dist', 'browser', 'inference.js'), 'utf8');
    expect(importsOf(inference)).toEqual([]);
  });
});
