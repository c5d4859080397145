/**
 * A sweep trial with early-stopping rungs (src/node/sweep/trial.ts): the first row at or past a rung carries it,
 * and the trial trains no further until the verdict comes (`awaitVerdict` resolves); a stop asked while it waits
 * ends it at the rung, after a checkpoint (also when the rung's row is its last); a row with nothing to judge
 * (`again`) passes the rung on to the next row. Without `awaitVerdict` (seed runs) rungs are ignored.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/builtin.js';
import { runTrial, type TrialEvent } from '../src/node/sweep/trial.js';

// 2 envs × 256 steps: rows every 512 steps.
const CONFIG = { env: 'CartPole-v1', seed: 3, nSteps: 256, numEnvs: 2, batchSize: 64, nEpochs: 1 };
const task = (rungs?: number[]) => ({
  algo: 'ppo',
  env: 'CartPole-v1',
  seed: 3,
  timesteps: 4096,
  checkpointEvery: 100_000,
  config: CONFIG,
  ...(rungs === undefined ? {} : { rungs }),
});

/** Runs a trial whose verdicts are given by `decide` (after a macrotask, as an answer from elsewhere would be). */
async function run(
  rungs: number[] | undefined,
  decide: (rung: number, events: TrialEvent[]) => 'continue' | 'stop' | 'again',
  withVerdicts = true,
) {
  const events: TrialEvent[] = [];
  let stop = false;
  const waits: { rung: number; rowsBefore: number }[] = [];
  const awaitVerdict = async (rung: number) => {
    waits.push({ rung, rowsBefore: events.filter((e) => e.type === 'row').length });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const verdict = decide(rung, events);
    if (verdict === 'stop') stop = true;
    return verdict === 'again' ? 'again' : 'judged';
  };
  await runTrial(task(rungs), [], (event) => events.push(event), {
    shouldStop: () => stop,
    ...(withVerdicts ? { awaitVerdict } : {}),
  });
  const rows = events.flatMap((e) => (e.type === 'row' ? [e] : []));
  return { events, rows, waits, last: events.at(-1) };
}

describe('a sweep trial at early-stopping rungs', () => {
  it('marks the first row at or past each rung and waits there for the verdict', async () => {
    // 1000 and 1024 are both first reached by the row at 1024: it carries the higher one, judged once.
    const { rows, waits, last } = await run([1000, 1024, 2048], () => 'continue');
    expect(rows.map((r) => r.row.step)).toEqual([512, 1024, 1536, 2048, 2560, 3072, 3584, 4096]);
    expect(rows.map((r) => r.rung ?? null)).toEqual([null, 1024, null, 2048, null, null, null, null]);
    // Each wait began right after its row was emitted, before the next row existed.
    expect(waits).toEqual([
      { rung: 1024, rowsBefore: 2 },
      { rung: 2048, rowsBefore: 4 },
    ]);
    expect(last?.type).toBe('done');
  });

  it('a stop asked while it waits ends the trial at the rung, after a checkpoint; resumed, it waits only at the rungs ahead', async () => {
    const { rows, events, last } = await run([1024, 2048, 3072], (rung) =>
      rung === 2048 ? 'stop' : 'continue',
    );
    expect(rows.at(-1)?.row.step).toBe(2048);
    expect(last).toEqual({ type: 'stopped', steps: 2048, nextCheckpoint: 100_000 });
    const checkpoint = events.at(-2);
    if (checkpoint?.type !== 'checkpoint' || checkpoint.json === undefined) throw new Error('no checkpoint');
    expect(checkpoint.checkpoint.step).toBe(2048);

    const resumed: TrialEvent[] = [];
    const waits: number[] = [];
    await runTrial(
      { ...task([1024, 2048, 3072]), resume: JSON.parse(checkpoint.json), nextCheckpoint: 100_000 },
      [],
      (event) => resumed.push(event),
      {
        shouldStop: () => false,
        awaitVerdict: async (rung) => {
          waits.push(rung);
          return 'judged';
        },
      },
    );
    expect(resumed.flatMap((e) => (e.type === 'row' ? [[e.row.step, e.rung ?? null]] : []))).toEqual([
      [2560, null],
      [3072, 3072],
      [3584, null],
      [4096, null],
    ]);
    expect(waits).toEqual([3072]);
    expect(resumed.at(-1)?.type).toBe('done');
  });

  it('a row with nothing to judge passes its rung on: the next row carries it (or a higher one it reaches)', async () => {
    let asked = 0;
    const { rows, waits } = await run([1024, 2048], () => (++asked <= 2 ? 'again' : 'continue'));
    // 1024: again → 1536 carries 1024: again → 2048 reaches 2048 (the higher rung) and is judged there.
    expect(rows.slice(0, 4).map((r) => [r.row.step, r.rung ?? null])).toEqual([
      [512, null],
      [1024, 1024],
      [1536, 1024],
      [2048, 2048],
    ]);
    expect(waits.map((w) => w.rung)).toEqual([1024, 1024, 2048]);
  });

  it('pruned at a rung its last row reaches: stopped there, not evaluated (not a completed trial)', async () => {
    // Rows every 512 steps: the first at or past rung 4000 is the last one (4096).
    const { rows, last } = await run([4000], () => 'stop');
    expect(rows.at(-1)?.rung).toBe(4000);
    expect(last).toEqual({ type: 'stopped', steps: 4096, nextCheckpoint: 100_000 });
  });

  it('never waits without awaitVerdict (seed runs): its rows carry no rung', async () => {
    const { rows, last } = await run([1024], () => 'stop', false);
    expect(rows.every((r) => r.rung === undefined)).toBe(true);
    expect(last?.type).toBe('done');
  });
});
