/**
 * Runs one trial in a child process (src/node/sweep/trial-process.ts): one core per trial, and a trial that
 * crashes (out of memory, a native fault, a bug) takes down only itself. Its events arrive over the IPC channel,
 * in arrays (those of one stretch of training together).
 */
import { fork } from 'node:child_process';
import type { TrialEvent } from './trial.js';

export interface TrialProcess {
  /** Asks the trial to stop after a checkpoint (it then reports `stopped`). */
  stop(): void;
  /**
   * The sweep's verdict on the row that reached a rung is 'go on': the trial stops waiting. `again`: the row had
   * nothing to judge (no episode finished yet), so the trial's next row carries the rung again.
   */
  proceed(again?: boolean): void;
  /** Resolves when the process has exited; its last event is `done`, `stopped` or `error` (a crash becomes one). */
  readonly finished: Promise<TrialEvent>;
  readonly pid: number | undefined;
}

/** Where the compiled trial script is: next to this module, or in dist/ when this module runs from src/. */
function trialScript(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/node/sweep/trial-process.js', here)
    : new URL('./trial-process.js', here);
}

export function forkTrial(
  task: unknown,
  imports: readonly string[],
  onEvent: (event: TrialEvent) => void,
): TrialProcess {
  const child = fork(trialScript(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let last: TrialEvent | null = null;
  child.on('message', (events: TrialEvent[]) => {
    for (const event of events) {
      if (event.type === 'done' || event.type === 'stopped' || event.type === 'error') last = event;
      onEvent(event);
    }
  });
  const finished = new Promise<TrialEvent>((resolve) => {
    const end = (why: string) => {
      if (last !== null) return resolve(last);
      const event: TrialEvent = { type: 'error', message: `trial process ${why}`, userError: false };
      onEvent(event);
      resolve(event);
    };
    child.once('error', (error) => end(`could not run: ${error.message}`));
    child.once('exit', (code, signal) =>
      end(signal !== null ? `killed by ${signal}` : `exited with code ${code} before finishing`),
    );
  });
  child.send({ type: 'start', task, imports });
  return {
    stop: () => {
      if (child.connected) child.send({ type: 'stop' });
    },
    proceed: (again = false) => {
      if (child.connected) child.send({ type: 'continue', again });
    },
    finished,
    pid: child.pid,
  };
}
