/**
 * `learnSeeds`: several seeds of one config in one process. Each seed's rows (but the wall-clock columns), final
 * parameters and final evaluation are those of the same seed trained alone — one after another in this thread (no
 * `seeds` port, as in a browser) and on worker threads (Node's `nodePorts`: the compiled worker in dist/, which
 * `npm test` builds first). Bad seed lists and algorithms are refused in one line.
 */
import { describe, expect, it } from 'vitest';
import { learnSeeds, type MetricsRow, PPO, PolicygradError } from '../src/internal.js';
import { learnSeeds as learnSeedsOnNode } from '../src/internal-node.js';
import { nodePorts } from '../src/node/ports.js';

const CONFIG = { env: 'CartPole-v1', preset: 'zoo', nSteps: 64, numEnvs: 2, batchSize: 32, nEpochs: 2 };
const BUDGET = 1024;

/** A row without its wall-clock columns (equal for equal runs). */
function steady(rows: readonly MetricsRow[]): Record<string, unknown>[] {
  return rows.map(({ sps: _sps, timeSeconds: _time, ...rest }) => rest);
}

function alone(seed: number) {
  const model = new PPO({ ...CONFIG, seed });
  const rows = model.learn({ totalTimesteps: BUDGET });
  const returns = model.evaluate(10);
  return { model, rows, finalEval: returns.reduce((a, b) => a + b, 0) / returns.length };
}

describe('learnSeeds', () => {
  it('one after another (no seeds port): each seed as if it had run alone', async () => {
    const seen: number[] = [];
    const runs = await learnSeeds('ppo', CONFIG, [3, 4], {
      totalTimesteps: BUDGET,
      onRow: (seed) => seen.push(seed),
    });
    expect(runs.map((r) => r.seed)).toEqual([3, 4]);
    for (const run of runs) {
      const reference = alone(run.seed);
      expect(steady(run.rows)).toEqual(steady(reference.rows));
      expect(run.model.policy.params).toEqual(reference.model.policy.params);
      expect(run.finalEval).toBe(reference.finalEval);
    }
    expect(steady(runs[0].rows)).not.toEqual(steady(runs[1].rows)); // the seeds differ
    expect(seen).toEqual([...runs[0].rows.map(() => 3), ...runs[1].rows.map(() => 4)]);
  });

  it(
    "on two worker threads (the Node entry's learnSeeds: nodePorts): the same models, rows and evaluations; each model goes on learning",
    { tags: ['slow'] },
    async () => {
      const rowsSeen = new Map<number, number>();
      const runs = await learnSeedsOnNode('ppo', CONFIG, [3, 4, 5], {
        totalTimesteps: BUDGET,
        parallel: 2,
        onRow: (seed) => rowsSeen.set(seed, (rowsSeen.get(seed) ?? 0) + 1),
      });
      expect(runs.map((r) => r.seed)).toEqual([3, 4, 5]);
      for (const run of runs) {
        const reference = alone(run.seed);
        expect(steady(run.rows)).toEqual(steady(reference.rows));
        expect(run.model.policy.params).toEqual(reference.model.policy.params);
        expect(run.model.numTimesteps).toBe(reference.model.numTimesteps);
        expect(run.finalEval).toBe(reference.finalEval);
        expect(rowsSeen.get(run.seed)).toBe(run.rows.length);
        // The model came back through its final checkpoint: it continues exactly as the one trained here.
        const more = run.model.learn({ totalTimesteps: 256 });
        expect(steady(more)).toEqual(steady(reference.model.learn({ totalTimesteps: 256 })));
      }
    },
  );

  it(
    'RecurrentPPO on threads, its middle seed split between them: as one after another (hidden states resume exactly)',
    { tags: ['slow'] },
    async () => {
      const config = {
        env: 'CartPoleNoVel-v1',
        nSteps: 32,
        numEnvs: 2,
        batchSize: 32,
        nEpochs: 2,
        hiddenSize: 8,
      };
      const here = await learnSeeds('recurrent-ppo', config, [1, 2, 3], { totalTimesteps: 640 });
      const threads = await learnSeedsOnNode('recurrent-ppo', config, [1, 2, 3], {
        totalTimesteps: 640,
        parallel: 2,
      });
      for (const [i, run] of threads.entries()) {
        expect(steady(run.rows)).toEqual(steady(here[i].rows));
        expect(run.model.policy.params).toEqual(here[i].model.policy.params);
        expect(run.finalEval).toBe(here[i].finalEval);
      }
    },
  );

  it(
    'runs beside each other update on one thread each; threads: 2 with them is refused',
    { tags: ['slow'] },
    async () => {
      const runs = await learnSeedsOnNode('ppo', CONFIG, [1, 2], { totalTimesteps: 256, parallel: 2 });
      expect(runs.map((r) => (r.model as PPO).updateThreads)).toEqual(['1 (threads: 1)', '1 (threads: 1)']);
      await expect(
        learnSeedsOnNode('ppo', { ...CONFIG, threads: 2 }, [1, 2], { totalTimesteps: 256, parallel: 2 }),
      ).rejects.toThrow('learnSeeds: threads 2 gives each run both cores, but 2 runs go at once here');
    },
  );

  it('a failing run on a thread rejects with its seed and reason', { tags: ['slow'] }, async () => {
    const failure = learnSeeds('ppo', { ...CONFIG, envModules: ['file:///nonexistent/env.js'] }, [1, 2], {
      totalTimesteps: BUDGET,
      ports: nodePorts,
    });
    await expect(failure).rejects.toThrow(PolicygradError);
    await expect(failure).rejects.toThrow(/^seed [12]: cannot import file:\/\/\/nonexistent\/env.js/);
  });

  it('refuses bad seed lists, algorithms and budgets in one line', async () => {
    const run = (algo: string, seeds: number[], totalTimesteps = BUDGET, parallel?: number) =>
      learnSeeds(algo, CONFIG, seeds, { totalTimesteps, ...(parallel === undefined ? {} : { parallel }) });
    await expect(run('ppo', [])).rejects.toThrow('seeds: expected at least one seed, got none');
    await expect(run('ppo', [1, 1])).rejects.toThrow('seed 1 is given twice: each seed runs once');
    await expect(run('ppo', [1, -2])).rejects.toThrow('invalid seed -2: expected a non-negative integer');
    await expect(run('a3c', [1])).rejects.toThrow(/algorithm "a3c" is not supported/);
    await expect(run('ppo', [1], 0)).rejects.toThrow('invalid totalTimesteps 0');
    await expect(run('ppo', [1], BUDGET, 0)).rejects.toThrow('invalid parallel 0');
  });
});
