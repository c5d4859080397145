/**
 * Entry point of a trial process (forked with an IPC channel by the local sweep and by `policygrad worker`): the
 * parent sends `{ type: 'start', task, imports }`, then possibly `{ type: 'stop' }`, and `{ type: 'continue' }` after
 * each row that reached an early-stopping rung (the trial waits for it, or for a stop; `again: true` when the row
 * had nothing to judge, so the next row carries the rung); the `TrialEvent`s go back
 * in arrays, one message per return to the event loop (a trial returns every 50 ms: the rows of the iterations in
 * between travel together, not one message and one wake-up of the parent per row). SIGINT and SIGTERM (Ctrl-C reaches the whole process group) stop the trial after a checkpoint,
 * as a stop message does. When the parent dies (the channel closes), the trial ends at once: nobody would
 * receive its results, and the queue hands the trial to another worker.
 */
// A fresh process starts with an empty env registry: this import registers every built-in env.
import '../../envs/builtin.js';
import { type RungVerdict, runTrial, type TrialEvent } from './trial.js';

let stopRequested = false;
/** Resolves the trial's wait at a rung (src/node/sweep/trial.ts, `awaitVerdict`), if it is waiting. */
let verdictArrived: ((verdict: RungVerdict) => void) | null = null;
const hearVerdict = (verdict: RungVerdict) => {
  const resolve = verdictArrived;
  verdictArrived = null;
  resolve?.(verdict);
};
const stop = () => {
  stopRequested = true;
  hearVerdict('judged');
};
const awaitVerdict = () =>
  new Promise<RungVerdict>((resolve) => {
    if (stopRequested) resolve('judged');
    else verdictArrived = resolve;
  });
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const orphaned = () => process.exit(1);
process.on('disconnect', orphaned);

function send(events: TrialEvent[]): Promise<void> {
  return new Promise((resolve) => {
    if (process.connected) process.send?.(events, () => resolve());
    else resolve();
  });
}

let queued: TrialEvent[] = [];
const pending: Promise<void>[] = [];
/** Queues an event; the queue leaves as one message when the trial next returns to the event loop. */
function emit(event: TrialEvent): void {
  queued.push(event);
  if (queued.length > 1) return;
  pending.push(
    new Promise((resolve) =>
      setImmediate(() => {
        const events = queued;
        queued = [];
        void send(events).then(resolve);
      }),
    ),
  );
}

process.on('message', (message: { type?: string; task?: unknown; imports?: unknown; again?: unknown }) => {
  if (message?.type === 'stop') {
    stop();
    return;
  }
  if (message?.type === 'continue') {
    hearVerdict(message.again === true ? 'again' : 'judged');
    return;
  }
  if (message?.type !== 'start') return;
  const imports = Array.isArray(message.imports) ? message.imports.map(String) : [];
  void runTrial(message.task, imports, emit, {
    shouldStop: () => stopRequested,
    awaitVerdict,
  }).then(async () => {
    await Promise.all(pending);
    process.off('disconnect', orphaned);
    process.disconnect();
  });
});
