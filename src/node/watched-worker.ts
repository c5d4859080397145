/**
 * Worker threads whose end a blocked thread can see. A thread that waits for a worker in `Atomics.wait` (the
 * async vector env's `step`, the critic thread's hand-off) never returns to its event loop, so it never hears the
 * worker's 'error' or 'exit' event: a worker that failed to load its script, threw outside its own error handling,
 * or called `process.exit` (a user's env module can do all three) left it waiting forever.
 *
 * `startWatchedWorker` starts the script through a small bootstrap that records, in shared memory, why the thread
 * ended (its uncaught error's first line, or its exit code) and what it was doing (`setThreadActivity`, e.g.
 * "importing file:///…/my-env.js"); `ended()` reads it without the event loop. The bootstrap is evaluated code
 * that needs nothing but Node's built-ins, so even a missing or broken worker script is reported.
 */
import { Worker, type WorkerOptions, workerData } from 'node:worker_threads';

/** Words: [state (0 running, 1 ended), exit code, bytes of the error, bytes of the activity], then the two texts. */
const WORDS = 4;
const TEXT_BYTES = 400;
const ERROR_AT = WORDS * 4;
const ACTIVITY_AT = ERROR_AT + TEXT_BYTES;
const WATCH_BYTES = ACTIVITY_AT + TEXT_BYTES;

/** The workerData fields the bootstrap reads (the script's own fields are left as they are). */
interface WatchFields {
  watchedScript: string;
  threadWatch: SharedArrayBuffer;
}

/**
 * Runs in the new thread before the script: records the first uncaught error (a failed import of the script is
 * one) and, when the thread exits for any reason, its exit code, then wakes anyone waiting on the state word.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const watch = workerData.threadWatch;
const words = new Int32Array(watch, 0, ${WORDS});
let error = null;
process.on('uncaughtExceptionMonitor', (e) => {
  if (error !== null) return;
  const text = e instanceof Error ? (e.name + ': ' + e.message) : String(e);
  // A missing script is "imported from [worker eval]", this bootstrap: not worth a user's reading.
  error = text.split('\\n')[0].replace(/ imported from .*\\[worker eval\\]$/, '');
});
process.on('exit', (code) => {
  if (error !== null) {
    const bytes = new TextEncoder().encode(error).subarray(0, ${TEXT_BYTES});
    new Uint8Array(watch, ${ERROR_AT}, ${TEXT_BYTES}).set(bytes);
    Atomics.store(words, 2, bytes.length);
  }
  Atomics.store(words, 1, code ?? 0);
  Atomics.store(words, 0, 1);
  Atomics.notify(words, 0);
});
import(workerData.watchedScript);
`;

export interface WatchedWorker {
  readonly worker: Worker;
  /**
   * Null while the thread runs; once it has ended, why, as the end of a sentence: "exited with code 3 while
   * importing file:///…/env.js", "failed: Error: …". Readable from a thread blocked in `Atomics.wait`.
   */
  ended(): string | null;
}

/** Starts `script` (its workerData a plain object) on a worker thread that `ended()` watches. */
export function startWatchedWorker(
  script: URL,
  options: WorkerOptions & { workerData: object },
): WatchedWorker {
  const watch = new SharedArrayBuffer(WATCH_BYTES);
  const words = new Int32Array(watch, 0, WORDS);
  const fields: WatchFields = { watchedScript: script.href, threadWatch: watch };
  const worker = new Worker(BOOTSTRAP, {
    ...options,
    eval: true,
    workerData: { ...options.workerData, ...fields },
  });
  // Seen by ended() (the shared record is the same error, written before the thread exits); without a listener
  // the event would throw in this thread once it returns to its event loop.
  let errorEvent: string | null = null;
  worker.on('error', (error) => (errorEvent ??= firstLine(error)));
  return {
    worker,
    ended: () => {
      if (Atomics.load(words, 0) === 0) return null;
      const error = readText(watch, ERROR_AT, Atomics.load(words, 2)) || errorEvent;
      const activity = readText(watch, ACTIVITY_AT, Atomics.load(words, 3));
      const doing = activity === '' ? '' : ` while ${activity}`;
      return error !== null && error !== ''
        ? `failed${doing}: ${error}`
        : `exited with code ${Atomics.load(words, 1)}${doing}`;
    },
  };
}

/**
 * In a watched worker: what the thread is doing now (null: nothing worth naming), named in `ended()` if the
 * thread ends meanwhile. Does nothing in a thread not started by `startWatchedWorker`.
 */
export function setThreadActivity(activity: string | null): void {
  const watch = (workerData as Partial<WatchFields> | null)?.threadWatch;
  if (!(watch instanceof SharedArrayBuffer)) return;
  const bytes = new TextEncoder().encode(activity ?? '').subarray(0, TEXT_BYTES);
  new Uint8Array(watch, ACTIVITY_AT, TEXT_BYTES).set(bytes);
  Atomics.store(new Int32Array(watch, 0, WORDS), 3, bytes.length);
}

function readText(watch: SharedArrayBuffer, at: number, length: number): string {
  return new TextDecoder().decode(new Uint8Array(watch, at, length).slice());
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0];
}
