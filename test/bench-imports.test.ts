/**
 * The benchmark scripts run on the built package, so a name they import that an entry no longer exports fails
 * only when the benchmark runs (bench/recurrent.mjs imported PRESETS from the curated root after issue 15 moved it
 * to policygrad/internal). This checks every `import { … } from '…/dist/<entry>.js'` of bench/ against the entry's
 * source exports, without building.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript script of the repo, without type declarations
import { entryExports } from '../scripts/count-exports.mjs';

const root = new URL('..', import.meta.url).pathname;
const ENTRIES = ['index', 'node', 'internal', 'internal-node', 'inference'] as const;
const exported = new Map(
  (entryExports(ENTRIES.map((e) => `src/${e}.ts`)) as { values: string[]; types: string[] }[]).map((e, k) => [
    ENTRIES[k] as string,
    new Set([...e.values, ...e.types]),
  ]),
);

const files = [
  ...readdirSync(join(root, 'bench'))
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => `bench/${f}`),
  ...readdirSync(join(root, 'bench', 'lib'))
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => `bench/lib/${f}`),
];

describe('bench/ imports only what the entries export', () => {
  it.each(files)('%s', (file) => {
    const source = readFileSync(join(root, file), 'utf8');
    const missing: string[] = [];
    for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(?:\.\.\/)+dist\/([a-z-]+)\.js'/g)) {
      const names = exported.get(m[2]);
      expect(names, `${file} imports dist/${m[2]}.js, which is not an entry`).toBeDefined();
      for (const spec of m[1].split(',')) {
        const name = spec
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0];
        if (name !== '' && !names?.has(name)) missing.push(`${name} (dist/${m[2]}.js)`);
      }
    }
    expect(missing).toEqual([]);
  });
});
