/**
 * The golden-rows cases: short runs of every algorithm whose metrics rows (timing columns aside) and final
 * parameters pin the math, so a refactor that must not change it (issue 15: the trainer, the loss terms, the
 * platform line) is checked bit for bit. `GOLDEN_RECORD=1 npx vitest run test/golden-rows.test.ts` records them into
 * test/fixtures/golden-rows.json; re-record only when the math changes on purpose, and say so in the commit.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Ports } from '../src/algos/ports.js';
import type { Algorithm } from '../src/algos/registry.js';
import { createAlgorithm } from '../src/index.js';

export interface GoldenCase {
  name: string;
  algo: string;
  config: Record<string, unknown>;
  totalTimesteps: number;
}

export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: 'ppo-cartpole',
    algo: 'ppo',
    config: { env: 'CartPole-v1', seed: 1, numEnvs: 2, nSteps: 64, batchSize: 32, nEpochs: 2 },
    totalTimesteps: 512,
  },
  {
    name: 'ppo-pendulum-kl',
    algo: 'ppo',
    config: {
      env: 'Pendulum-v1',
      seed: 2,
      numEnvs: 2,
      nSteps: 64,
      batchSize: 64,
      nEpochs: 3,
      objective: 'kl-penalty',
      clipRangeVf: 0.2,
    },
    totalTimesteps: 512,
  },
  {
    name: 'ppo-pendulum-gsde',
    algo: 'ppo',
    config: {
      env: 'Pendulum-v1',
      seed: 3,
      numEnvs: 2,
      nSteps: 64,
      batchSize: 64,
      nEpochs: 2,
      useSde: true,
      sdeSampleFreq: 4,
      normalize: true,
    },
    totalTimesteps: 512,
  },
  {
    name: 'a2c-cartpole',
    algo: 'a2c',
    config: { env: 'CartPole-v1', seed: 4, numEnvs: 4, nSteps: 5 },
    totalTimesteps: 400,
  },
  {
    name: 'a2c-pendulum',
    algo: 'a2c',
    config: {
      env: 'Pendulum-v1',
      seed: 5,
      numEnvs: 2,
      nSteps: 8,
      optimizer: 'adam',
      normalizeAdvantage: true,
    },
    totalTimesteps: 320,
  },
  {
    name: 'trpo-cartpole',
    algo: 'trpo',
    config: { env: 'CartPole-v1', seed: 6, numEnvs: 2, nSteps: 128, batchSize: 64 },
    totalTimesteps: 768,
  },
  {
    name: 'npg-pendulum',
    algo: 'npg',
    config: { env: 'Pendulum-v1', seed: 7, numEnvs: 2, nSteps: 128, batchSize: 128 },
    totalTimesteps: 768,
  },
  {
    name: 'reinforce-cartpole',
    algo: 'reinforce',
    config: { env: 'CartPole-v1', seed: 8 },
    totalTimesteps: 3000,
  },
  {
    name: 'reinforce-acrobot-mean',
    algo: 'reinforce',
    config: { env: 'Acrobot-v1', seed: 9, baseline: 'mean' },
    totalTimesteps: 2500,
  },
];

/** Timing columns differ run to run; everything else is pinned. */
export const TIMING_KEYS = new Set(['sps', 'timeSeconds', 'elapsedSeconds']);

export function stripTiming(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !TIMING_KEYS.has(k)));
}

/** FNV-1a over the bytes of the parameters: equal iff every float is bit-identical (with overwhelming odds). */
export function parameterHash(params: Float32Array | Float64Array): string {
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

interface Golden {
  rows: Record<string, unknown>[];
  params: string;
}

/** How the cases run: extra run options (`threads`) with their ports, and a check of each model after its run. */
export interface GoldenRunOptions {
  runOptions?: Record<string, unknown>;
  ports?: Ports;
  check?: (model: Algorithm, c: GoldenCase) => void;
}

/**
 * One test per case: its rows (JSON round trip: the fixture stores what JSON can, NaN → null) and final parameter
 * hash equal the fixture's; with GOLDEN_RECORD=1 the cases are run and the fixture is written instead (only by the
 * plain runs: the others must reproduce the same fixture).
 */
export function describeGoldenRows(
  title: string,
  cases: readonly GoldenCase[],
  fixture: URL,
  { runOptions = {}, ports = {}, check }: GoldenRunOptions = {},
): void {
  const record = process.env.GOLDEN_RECORD === '1' && Object.keys(runOptions).length === 0;
  const golden: Record<string, Golden> =
    !record && existsSync(fixture)
      ? (JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, Golden>)
      : {};
  const recorded: Record<string, Golden> = {};
  describe(title, () => {
    for (const c of cases) {
      it(c.name, () => {
        // Never A3C (`ports.threads` unset): a synchronous model.
        const model = createAlgorithm(
          c.algo,
          { ...c.config, ...runOptions },
          { ...ports, threads: undefined },
        );
        const learned = model.learn({ totalTimesteps: c.totalTimesteps }).map(stripTiming);
        const rows = JSON.parse(JSON.stringify(learned)) as Record<string, unknown>[];
        const params = parameterHash(model.policy.params);
        check?.(model, c);
        model.close?.();
        if (record) {
          recorded[c.name] = { rows, params };
          if (Object.keys(recorded).length === cases.length) {
            writeFileSync(fixture, JSON.stringify(recorded, null, 1) + '\n');
          }
          return;
        }
        expect(golden[c.name], `no recorded rows for ${c.name}: run with GOLDEN_RECORD=1`).toBeDefined();
        expect(rows).toEqual(golden[c.name].rows);
        expect(params).toBe(golden[c.name].params);
      });
    }
  });
}
