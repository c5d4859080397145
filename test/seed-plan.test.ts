/**
 * How `train --seeds` and `learnSeeds` share runs among threads (`planSeedPieces`, McNaughton's wrap-around): every
 * run's steps are trained exactly once, no thread gets more than count × budget / threads steps (or one run), and a
 * split run's first piece is at the start of its thread, its last piece at the end of the previous one.
 */
import { describe, expect, it } from 'vitest';
import { planSeedPieces } from '../src/node/seed-threads.js';

describe('planSeedPieces', () => {
  it('five runs on two threads: 2.5 runs each, the third run split in the middle', () => {
    expect(planSeedPieces(5, 500_000, 2)).toEqual([
      [
        { index: 0, from: 'start', until: null },
        { index: 1, from: 'start', until: null },
        { index: 2, from: 'handoff', until: null },
      ],
      [
        { index: 2, from: 'start', until: 250_000 },
        { index: 3, from: 'start', until: null },
        { index: 4, from: 'start', until: null },
      ],
    ]);
  });

  it('whole runs when they divide evenly, one run per thread when there are fewer, all on one thread', () => {
    const whole = (index: number) => ({ index, from: 'start', until: null });
    expect(planSeedPieces(4, 1000, 2)).toEqual([
      [whole(0), whole(1)],
      [whole(2), whole(3)],
    ]);
    expect(planSeedPieces(2, 1000, 4)).toEqual([[whole(0)], [whole(1)]]);
    expect(planSeedPieces(3, 1000, 1)).toEqual([[whole(0), whole(1), whole(2)]]);
  });

  it('for many shapes: each run trained once, in order, and no thread above its share', () => {
    for (let count = 1; count <= 9; count++) {
      for (let threads = 1; threads <= 4; threads++) {
        const budget = 1000;
        const plan = planSeedPieces(count, budget, threads);
        expect(plan).toHaveLength(Math.min(count, threads));
        const capacity = Math.max(budget, (count * budget) / plan.length);
        const trained = new Array<number>(count).fill(0);
        for (const [t, pieces] of plan.entries()) {
          let steps = 0;
          for (const { index, from, until } of pieces) {
            const first = until ?? budget;
            if (from === 'handoff') {
              // Its first piece opens the next thread, and ends before this piece starts.
              const head = plan[t + 1][0];
              expect(head).toEqual({ index, from: 'start', until: head.until });
              const rest = budget - (head.until as number);
              expect(head.until as number).toBeLessThanOrEqual(steps + 1);
              steps += rest;
              trained[index] += rest;
            } else {
              steps += first;
              trained[index] += first;
            }
          }
          expect(steps).toBeLessThanOrEqual(capacity + 1);
        }
        expect(trained).toEqual(new Array<number>(count).fill(budget));
      }
    }
  });
});
