import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAlgorithm } from '../src/index.js';
import { GOLDEN_CASES, parameterHash, stripTiming } from './golden-rows.js';

const FIXTURE = new URL('./fixtures/golden-rows.json', import.meta.url);
const RECORD = process.env.GOLDEN_RECORD === '1';

interface Golden {
  rows: Record<string, unknown>[];
  params: string;
}
const golden: Record<string, Golden> =
  !RECORD && existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Golden>) : {};
const recorded: Record<string, Golden> = {};

describe('golden rows: every algorithm reproduces its recorded rows and final parameters bit for bit', () => {
  for (const c of GOLDEN_CASES) {
    it(c.name, () => {
      const model = createAlgorithm(c.algo, c.config);
      // JSON round trip: the fixture stores what JSON can (NaN → null), so compare like with like.
      const rows = JSON.parse(
        JSON.stringify(model.learn({ totalTimesteps: c.totalTimesteps }).map(stripTiming)),
      );
      const params = parameterHash(model.policy.params);
      if (RECORD) {
        recorded[c.name] = { rows, params };
        if (Object.keys(recorded).length === GOLDEN_CASES.length) {
          writeFileSync(FIXTURE, JSON.stringify(recorded, null, 1) + '\n');
        }
        return;
      }
      expect(golden[c.name], `no recorded rows for ${c.name}: run with GOLDEN_RECORD=1`).toBeDefined();
      expect(rows).toEqual(golden[c.name].rows);
      expect(params).toBe(golden[c.name].params);
    });
  }
});
