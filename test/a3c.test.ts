// @module-tag slow: worker threads from the built dist/, and a learning run to the goal
/**
 * A3C: worker threads updating shared parameters without locks. Runs the compiled worker (dist/, built by
 * `npm test` before vitest).
 */
import { describe, expect, it } from 'vitest';
import { createAlgorithm, PolicygradError } from '../src/index.js';
import { A3C } from '../src/node.js';
import { nodeA3CThreads } from '../src/node/a3c.js';

describe('A3C', () => {
  it('solves CartPole-v1 (zoo preset: 2 workers × 4 envs, 250k steps): deterministic evaluation ≥ 475, seed 1', async () => {
    const model = new A3C({ env: 'CartPole-v1', preset: 'zoo', seed: 1 });
    const history = await model.learn({ totalTimesteps: 250_000 });
    expect(history.length).toBeGreaterThan(2);
    // Every worker stops at its first check after the shared counter passes the budget.
    expect(model.totalSteps).toBeGreaterThanOrEqual(250_000);
    expect(model.totalSteps).toBeLessThan(250_000 + 2 * 4 * 5 * 2);
    expect(history.every((m) => m.learningRate === 7e-4)).toBe(true); // constant, as A2C's default
    const returns = model.evaluate(20);
    expect(returns.reduce((a, b) => a + b, 0) / returns.length).toBeGreaterThanOrEqual(475);
  }, 60_000);

  it('reports from every worker, and a callback returning false stops all of them', async () => {
    const model = new A3C({ seed: 2, numWorkers: 2, numEnvs: 2, reportEvery: 10 });
    const seen = new Set<number>();
    const history = await model.learn({
      totalTimesteps: 1_000_000,
      callback: (m) => {
        seen.add(m.iteration);
        return m.step < 20_000;
      },
    });
    expect(history.length).toBe(seen.size);
    expect(model.totalSteps).toBeLessThan(60_000);
    // learn continues from where it stopped.
    const before = model.totalSteps;
    await model.learn({ totalTimesteps: 2_000 });
    expect(model.totalSteps).toBeGreaterThanOrEqual(before + 2_000);
  }, 60_000);

  it('refuses settings it cannot honour, naming the field', () => {
    expect(() => new A3C({ normalize: true } as never)).toThrow(PolicygradError);
    expect(() => new A3C({ normalize: true } as never)).toThrow(/normalize/);
    expect(() => new A3C({ numWorkers: 0 })).toThrow(/numWorkers/);
  });

  it('a worker that cannot import an env module rejects learn with one line naming it', async () => {
    const model = new A3C({ seed: 3, envModules: ['file:///nonexistent/setup.js'] });
    const failure = model.learn({ totalTimesteps: 1_000 });
    await expect(failure).rejects.toThrow(PolicygradError);
    await expect(failure).rejects.toThrow(
      /^A3C worker \d: cannot import file:\/\/\/nonexistent\/setup.js: no such file$/,
    );
  });
});

describe('A3C registered like every algorithm (the threads port)', () => {
  it('createAlgorithm needs the threads port, and says which entry provides it', () => {
    expect(() => createAlgorithm('a3c', {})).toThrow(
      /^A3C needs worker threads: pass nodePorts from policygrad's Node entry/,
    );
  });

  it('begin() + await iterate() until done: one row per report, the budget reached, then iterate() refuses', async () => {
    const model = createAlgorithm(
      'a3c',
      { seed: 4, numWorkers: 2, reportEvery: 20 },
      { threads: nodeA3CThreads },
    );
    await expect(model.iterate()).rejects.toThrow(/^A3C\.iterate: no schedule: call begin/);
    model.begin({ totalTimesteps: 2_000 });
    expect(model.done).toBe(false);
    const rows = [];
    while (!model.done) rows.push(await model.iterate());
    // 2 workers × (2000 / 5 steps / 2 workers / 20 updates ≈ 10 reports) + each worker's last one.
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.map((r) => r.iteration)).toEqual(rows.map((_, i) => i + 1));
    expect(model.numTimesteps).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...rows.map((r) => r.step))).toBe(model.numTimesteps); // the last update's worker reads it
    await expect(model.iterate()).rejects.toThrow(/^A3C\.iterate: the schedule is used/);
    expect(() => model.checkpoint()).toThrow(/^A3C runs have no checkpoints/);
  }, 30_000);

  it('stop() pauses the workers between two reports; iterate() continues the schedule', async () => {
    const model = createAlgorithm(
      'a3c',
      { seed: 5, numWorkers: 2, reportEvery: 5 },
      { threads: nodeA3CThreads },
    );
    if (!('stop' in model)) throw new Error('expected the threaded face');
    model.begin({ totalTimesteps: 4_000 });
    await model.iterate();
    await model.stop();
    const stoppedAt = model.numTimesteps;
    expect(stoppedAt).toBeLessThan(4_000);
    expect(model.done).toBe(false);
    while (!model.done) await model.iterate();
    expect(model.numTimesteps).toBeGreaterThanOrEqual(4_000);
  }, 30_000);
});
