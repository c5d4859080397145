/**
 * Shared-memory layout and protocol of AsyncVectorEnv (main thread ⇄ worker threads).
 *
 * Control: an Int32Array with four slots per worker: [sequence, command, done sequence, status]. The main thread
 * writes the command, increments `sequence` and notifies; the worker runs it, writes `status`, copies `sequence`
 * into `done sequence` and notifies; the main thread waits on `done sequence`. Batched data (actions, observations,
 * final observations, rewards, flags) lives in shared typed arrays indexed by sub-env; infos, which are objects,
 * travel on a MessagePort and are read synchronously with `receiveMessageOnPort`, and only when not empty.
 */
export const COMMAND_STEP = 1;
export const COMMAND_RESET = 2;
export const COMMAND_CLOSE = 3;
export const COMMAND_SNAPSHOT = 4;
export const COMMAND_RESTORE = 5;
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;

export interface AsyncVectorLayout {
  numEnvs: number;
  obsDim: number;
  actionDim: number;
  discrete: boolean;
  workers: number;
}

export interface AsyncVectorBuffers {
  control: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  observations: SharedArrayBuffer;
  finalObservations: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  terminated: SharedArrayBuffer;
  truncated: SharedArrayBuffer;
  ended: SharedArrayBuffer;
}

export interface AsyncVectorWorkerData {
  id: string;
  options: Record<string, unknown>;
  /** Resolved module URLs or package names, imported in order before the envs are made. */
  envModules: string[];
  worker: number;
  first: number;
  count: number;
  layout: AsyncVectorLayout;
  buffers: AsyncVectorBuffers;
}

export function createBuffers(layout: AsyncVectorLayout): AsyncVectorBuffers {
  const { numEnvs, obsDim, actionDim, workers } = layout;
  return {
    control: new SharedArrayBuffer(workers * 4 * 4),
    actions: new SharedArrayBuffer(numEnvs * actionDim * 8),
    observations: new SharedArrayBuffer(numEnvs * obsDim * 4),
    finalObservations: new SharedArrayBuffer(numEnvs * obsDim * 4),
    rewards: new SharedArrayBuffer(numEnvs * 8),
    terminated: new SharedArrayBuffer(numEnvs),
    truncated: new SharedArrayBuffer(numEnvs),
    ended: new SharedArrayBuffer(numEnvs),
  };
}

export function sharedViews(_layout: AsyncVectorLayout, b: AsyncVectorBuffers) {
  return {
    control: new Int32Array(b.control),
    actions: new Float64Array(b.actions),
    observations: new Float32Array(b.observations),
    finalObservations: new Float32Array(b.finalObservations),
    rewards: new Float64Array(b.rewards),
    terminated: new Uint8Array(b.terminated),
    truncated: new Uint8Array(b.truncated),
    ended: new Uint8Array(b.ended),
  };
}
