/**
 * AsyncVectorEnv: the sub-envs of a vector env stepped in parallel on Node worker threads, for environments whose
 * step is expensive. Same interface and same-step autoreset semantics as SyncVectorEnv (src/envs/vector.ts), so
 * rollouts and algorithms use either; with the same seed both produce the same trajectories.
 *
 * `step` stays synchronous: the main thread posts the command through shared memory and blocks in `Atomics.wait`
 * until every worker is done (Node allows this on the main thread; browsers do not). Each worker owns a
 * contiguous group of sub-envs. For cheap envs such as CartPole the hand-off (~10–20 µs per step) costs more than
 * it saves; see `npm run bench` for the measured crossover.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { Box, Discrete, type Space } from '../envs/spaces.js';
import { describeValue, InvalidActionError, PolicygradError, ResetNeededError } from '../errors.js';
import type { Info, ResetOptions, EnvSnapshot } from '../envs/env.js';
import { make, type MakeOptions } from '../envs/registry.js';
import type { VectorActions, VectorEnv, VectorResetResult, VectorStepResult } from '../envs/vector.js';
import {
  type AsyncVectorLayout,
  COMMAND_CLOSE,
  COMMAND_RESET,
  COMMAND_RESTORE,
  COMMAND_SNAPSHOT,
  COMMAND_STEP,
  createBuffers,
  sharedViews,
  STATUS_ERROR,
} from './async-vector-shared.js';
import { resolveEnvModule } from './env-modules.js';
import { startWatchedWorker, type WatchedWorker } from './watched-worker.js';

export interface AsyncVectorEnvOptions {
  /** Worker threads (each owns ⌈numEnvs / workers⌉ or fewer sub-envs). Default: min(numEnvs, CPU count). */
  workers?: number;
  /** Fresh arrays in every result (default true), or the shared buffers, overwritten by the next call. */
  copy?: boolean;
  /**
   * Modules each worker imports first, in order: register custom envs there (registrations are per thread).
   * File URLs, absolute paths, paths relative to the working directory, or package names.
   */
  envModules?: readonly string[];
}

function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/node/async-vector-worker.js', here)
    : new URL('./async-vector-worker.js', here);
}

export class AsyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actionDim: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  readonly workerCount: number;
  private readonly copy: boolean;
  private readonly views: ReturnType<typeof sharedViews>;
  private readonly workers: WatchedWorker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly firstEnv: number[] = [];
  private hasReset = false;
  private closed = false;

  constructor(
    readonly id: string,
    numEnvs: number,
    options: MakeOptions = {},
    { workers, copy = true, envModules = [] }: AsyncVectorEnvOptions = {},
  ) {
    if (!Number.isSafeInteger(numEnvs) || numEnvs <= 0) {
      throw new PolicygradError(
        `AsyncVectorEnv: invalid numEnvs ${describeValue(numEnvs)}: expected a positive integer`,
      );
    }
    if (workers !== undefined && (!Number.isSafeInteger(workers) || workers <= 0)) {
      throw new PolicygradError(
        `AsyncVectorEnv: invalid workers ${describeValue(workers)}: expected a positive integer`,
      );
    }
    // One local instance tells the spaces (and validates id and options here, with the usual errors).
    const probe = make(id, options);
    if (!(probe.observationSpace instanceof Box)) {
      throw new PolicygradError(
        `AsyncVectorEnv: observations must be a Box, got ${probe.observationSpace.toString()}`,
      );
    }
    this.singleObservationSpace = probe.observationSpace;
    this.singleActionSpace = probe.actionSpace;
    probe.close();
    this.numEnvs = numEnvs;
    this.obsDim = this.singleObservationSpace.size;
    const discrete = this.singleActionSpace instanceof Discrete;
    this.actionDim = discrete ? 1 : this.singleActionSpace.shape.reduce((a, b) => a * b, 1);
    this.copy = copy;
    this.workerCount = Math.min(numEnvs, workers ?? availableParallelism());
    const layout: AsyncVectorLayout = {
      numEnvs,
      obsDim: this.obsDim,
      actionDim: this.actionDim,
      discrete,
      workers: this.workerCount,
    };
    const buffers = createBuffers(layout);
    this.views = sharedViews(layout, buffers);
    let first = 0;
    for (let w = 0; w < this.workerCount; w++) {
      const count = Math.floor(numEnvs / this.workerCount) + (w < numEnvs % this.workerCount ? 1 : 0);
      const { port1, port2 } = new MessageChannel();
      const worker = startWatchedWorker(workerUrl(), {
        workerData: {
          id,
          options,
          envModules: envModules.map((specifier) => resolveEnvModule(specifier)),
          worker: w,
          first,
          count,
          layout,
          buffers,
          port: port2,
        },
        transferList: [port2],
      });
      worker.worker.unref(); // a forgotten close() must not keep the process alive
      this.workers.push(worker);
      this.ports.push(port1);
      this.firstEnv.push(first);
      first += count;
    }
  }

  /** Resets every sub-env; with a seed, sub-env i is seeded with `seed + i` (as SyncVectorEnv). */
  reset(options: ResetOptions = {}): VectorResetResult {
    const { seed } = options;
    if (seed !== undefined && (!Number.isSafeInteger(seed) || seed < 0)) {
      throw new PolicygradError(
        `AsyncVectorEnv.reset: invalid seed ${describeValue(seed)}: expected a non-negative integer`,
      );
    }
    for (const port of this.ports) port.postMessage({ seed: seed ?? null, options: options.options });
    const messages = this.run(COMMAND_RESET);
    const infos: Info[] = Array.from({ length: this.numEnvs }, () => ({}));
    messages.forEach((list, w) => {
      for (const m of list) {
        (m.envInfos as Info[] | null)?.forEach((info, k) => (infos[this.firstEnv[w] + k] = info));
      }
    });
    this.hasReset = true;
    return { observations: this.out(this.views.observations), infos };
  }

  step(actions: VectorActions): VectorStepResult {
    if (!this.hasReset) {
      throw new ResetNeededError('AsyncVectorEnv: step() called before reset(); call reset() first');
    }
    const expected = this.numEnvs * this.actionDim;
    if (actions === null || typeof actions !== 'object' || actions.length !== expected) {
      throw new InvalidActionError(
        `AsyncVectorEnv: invalid actions ${describeValue(actions)}: expected ${expected} numbers (${this.numEnvs} envs × ${this.actionDim})`,
      );
    }
    const shared = this.views.actions;
    for (let k = 0; k < expected; k++) shared[k] = actions[k];
    const messages = this.run(COMMAND_STEP);
    const { observations, finalObservations, rewards, terminated, truncated, ended } = this.views;
    const finalObservation: (Float32Array | null)[] = new Array(this.numEnvs).fill(null);
    const finalInfo: (Info | null)[] = new Array(this.numEnvs).fill(null);
    const envInfos: Info[] = Array.from({ length: this.numEnvs }, () => ({}));
    for (let i = 0; i < this.numEnvs; i++) {
      if (ended[i] === 1) {
        finalObservation[i] = finalObservations.slice(i * this.obsDim, (i + 1) * this.obsDim);
        finalInfo[i] = {};
      }
    }
    messages.forEach((list, w) => {
      for (const m of list) {
        (m.envInfos as Info[] | null)?.forEach((info, k) => (envInfos[this.firstEnv[w] + k] = info));
        for (const [i, info] of Object.entries((m.finalInfo as Record<string, Info> | null) ?? {})) {
          finalInfo[Number(i)] = info;
        }
      }
    });
    return {
      observations: this.out(observations),
      rewards: this.out(rewards),
      terminated: this.out(terminated),
      truncated: this.out(truncated),
      info: { finalObservation, finalInfo, envInfos },
    };
  }

  /** Every sub-env's snapshot, in SyncVectorEnv's format (a checkpoint from either restores into the other). */
  snapshot(): EnvSnapshot {
    const envs: EnvSnapshot[] = [];
    for (const list of this.run(COMMAND_SNAPSHOT)) {
      for (const m of list) envs.push(...((m.snapshots as EnvSnapshot[] | undefined) ?? []));
    }
    return { envs, hasReset: this.hasReset };
  }

  restore(snapshot: EnvSnapshot): void {
    const envs = snapshot?.envs;
    if (!Array.isArray(envs) || envs.length !== this.numEnvs) {
      throw new PolicygradError(
        `AsyncVectorEnv.restore: the snapshot holds ${Array.isArray(envs) ? envs.length : 'no'} sub-envs, expected ${this.numEnvs}`,
      );
    }
    this.ports.forEach((port, w) => {
      const first = this.firstEnv[w];
      const count = (this.firstEnv[w + 1] ?? this.numEnvs) - first;
      port.postMessage({ snapshots: envs.slice(first, first + count) });
    });
    this.run(COMMAND_RESTORE);
    this.hasReset = snapshot.hasReset === true;
  }

  /** Closes the sub-envs and stops the workers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.run(COMMAND_CLOSE);
    } catch {
      // a worker that failed to close its envs is terminated below all the same
    } finally {
      for (const { worker } of this.workers) void worker.terminate();
      for (const port of this.ports) port.close();
    }
  }

  /** Posts `command` to every worker, waits for all of them, and returns each worker's messages. */
  private run(command: number): Record<string, unknown>[][] {
    if (this.closed && command !== COMMAND_CLOSE) {
      throw new PolicygradError('AsyncVectorEnv: the env is closed');
    }
    const { control } = this.views;
    const targets: number[] = [];
    for (let w = 0; w < this.workerCount; w++) {
      const slot = w * 4;
      Atomics.store(control, slot + 1, command);
      targets.push(Atomics.add(control, slot, 1) + 1);
      Atomics.notify(control, slot);
    }
    const messages: Record<string, unknown>[][] = [];
    let error: string | null = null;
    for (let w = 0; w < this.workerCount; w++) {
      const slot = w * 4;
      for (;;) {
        const done = Atomics.load(control, slot + 2);
        if (done === targets[w]) break;
        // A thread that ended cannot answer: a blocked thread hears no 'exit' event, so it looks after each wait.
        if (Atomics.wait(control, slot + 2, done, 1000) === 'timed-out') this.throwIfEnded(w);
      }
      const list: Record<string, unknown>[] = [];
      for (
        let m = receiveMessageOnPort(this.ports[w]);
        m !== undefined;
        m = receiveMessageOnPort(this.ports[w])
      ) {
        list.push(m.message as Record<string, unknown>);
      }
      messages.push(list);
      if (Atomics.load(control, slot + 3) === STATUS_ERROR) {
        this.throwIfEnded(w); // a thread on its way out (an uncaught error) may answer before it stops: say why
        error ??= String(list.find((m) => m.error !== undefined)?.error ?? 'unknown error');
      }
    }
    if (error !== null) throw new PolicygradError(`AsyncVectorEnv (${this.id}): a worker failed: ${error}`);
    return messages;
  }

  /** Throws (one line: which worker, which sub-envs, why) if worker `w` has ended. */
  private throwIfEnded(w: number): void {
    const why = this.workers[w].ended();
    if (why === null) return;
    const first = this.firstEnv[w];
    const last = (this.firstEnv[w + 1] ?? this.numEnvs) - 1;
    const envs = first === last ? `sub-env ${first}` : `sub-envs ${first}-${last}`;
    throw new PolicygradError(`AsyncVectorEnv (${this.id}): the worker thread of ${envs} ${why}`);
  }

  private out<T extends Float32Array | Float64Array | Uint8Array>(buffer: T): T {
    return this.copy ? (buffer.slice() as T) : buffer;
  }
}
