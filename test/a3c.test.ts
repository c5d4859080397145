// @module-tag slow: worker threads from the built dist/, and a learning run to the goal
/**
 * A3C: worker threads updating shared parameters without locks. Runs the compiled worker (dist/, built by
 * `npm test` before vitest).
 */
import { describe, expect, it } from 'vitest';
import { PolicygradError } from '../src/index.js';
import { A3C } from '../src/node.js';

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
