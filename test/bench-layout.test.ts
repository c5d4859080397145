/**
 * One benchmark folder (issue 15 step 5): bench/ holds the scripts at its top, bench/lib/ what they share and
 * bench/results/ everything they write; each script has its npm script and a row in bench/README.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const bench = join(root, 'bench');

describe('bench/', () => {
  const scripts = readdirSync(bench).filter((name) => name.endsWith('.mjs'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const readme = readFileSync(join(bench, 'README.md'), 'utf8');

  it('has scripts at its top, lib/ and results/, and there is no second benchmark folder', () => {
    expect(readdirSync(bench).sort()).toEqual(['README.md', 'lib', 'results', ...scripts].sort());
    expect(existsSync(join(root, 'benchmarks'))).toBe(false);
  });

  it('every script is an npm script (built first) and a row of bench/README.md', () => {
    const run = Object.values(pkg.scripts);
    for (const script of scripts) {
      expect(run, script).toContain(`npm run build && node bench/${script}`);
      expect(readme, script).toContain(`| \`${script}\``);
    }
  });

  it('the scripts write under bench/results/ only', () => {
    for (const file of [...scripts, 'lib/learning.mjs']) {
      const source = readFileSync(join(bench, file), 'utf8');
      const written = [...source.matchAll(/'((?:bench|benchmarks)\/[^'`$]*)/g)].map((m) => m[1]);
      for (const path of written) expect(path, file).toMatch(/^bench\/(results(\/|$)|lib\/slow-env\.mjs$)/);
    }
  });
});
