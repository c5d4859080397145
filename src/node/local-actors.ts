/**
 * IMPALA/APPO's local transport (issue 17, the default): actors on Node worker threads, the learner in this
 * thread. Parameters go out through one SharedArrayBuffer guarded by a sequence lock (the learner makes the
 * counter odd, writes, makes it even; an actor copies and keeps the copy only if the counter was even and
 * unchanged around it), so publishing costs one copy and no message per actor. Chunks come back as messages
 * whose payload buffer is transferred, not copied, and are validated by the learner like any other transport's.
 *
 * Back-pressure: each actor may have `maxChunksInFlight` chunks sent and not yet received; it waits
 * (Atomics.wait on its credit) until the learner takes one. On a 2-core machine this keeps actors from running
 * far ahead of a busy learner, which would only make their chunks stale.
 */
import type { Worker } from 'node:worker_threads';
import { actorSeed } from '../algos/actor.js';
import type { DistributedAlgoConfig, LearnerTransport, RawChunk } from '../algos/learner.js';
import { PolicygradError } from '../errors.js';
import { resolveEnvModule } from './env-modules.js';
import { startWatchedWorker } from './watched-worker.js';

/** Indices into the shared Int32 control array. */
export const LOCAL_SEQUENCE = 0;
export const LOCAL_VERSION = 1;
export const LOCAL_STOP = 2;
/** Actor i's credit is at LOCAL_CREDITS + i. */
export const LOCAL_CREDITS = 3;

export interface LocalActorShared {
  params: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** What an actor thread is given. */
export interface LocalActorData {
  config: DistributedAlgoConfig;
  shared: LocalActorShared;
  index: number;
  runId: string;
  seed: number;
  envModules: string[];
}

/** A chunk message from an actor thread, its readiness (envs and policy built), or the failure to start. */
export type LocalActorMessage =
  { header: string; payload: Uint8Array } | { failure: string } | { ready: true };

/** Where the compiled worker script is: next to this module, or in dist/ when this module runs from src/. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/node/actor-worker.js', here)
    : new URL('./actor-worker.js', here);
}

/** Copies the published parameters if a complete version newer than `have` is there; returns its version. */
export function readParameters(
  shared: { params: Float32Array; control: Int32Array },
  have: number,
  into: Float32Array,
): number {
  for (;;) {
    const before = Atomics.load(shared.control, LOCAL_SEQUENCE);
    if (before % 2 === 1) continue; // a write is under way
    const version = Atomics.load(shared.control, LOCAL_VERSION);
    if (version === have) return have;
    into.set(shared.params);
    if (Atomics.load(shared.control, LOCAL_SEQUENCE) === before) return version;
  }
}

export class LocalActorPool implements LearnerTransport {
  private readonly params: Float32Array;
  private readonly control: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly queue: { actor: number; header: string; payload: Uint8Array }[] = [];
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  private next = 0;
  private closed = false;
  private readyCount = 0;
  private onAllReady: (() => void) | null = null;
  /**
   * Resolves once every actor thread has built its envs and policy (loading the env modules takes a thread up to
   * seconds on a busy machine: a learner that started before would train on the first actor's chunks alone).
   */
  readonly ready: Promise<void>;

  constructor(
    readonly config: DistributedAlgoConfig,
    /** The length of what the learner publishes (its `publishedSize`: parameters, then any statistics). */
    publishedSize: number,
    readonly runId: string,
  ) {
    this.ready = new Promise<void>((resolve) => (this.onAllReady = resolve));
    const n = config.numActors;
    if (n < 1) {
      throw new PolicygradError(`numActors ${n}: the local transport needs at least one actor thread`);
    }
    const shared: LocalActorShared = {
      params: new SharedArrayBuffer(publishedSize * 4),
      control: new SharedArrayBuffer((LOCAL_CREDITS + n) * 4),
    };
    this.params = new Float32Array(shared.params);
    this.control = new Int32Array(shared.control);
    Atomics.store(this.control, LOCAL_VERSION, -1);
    for (let i = 0; i < n; i++) Atomics.store(this.control, LOCAL_CREDITS + i, config.maxChunksInFlight);
    const envModules = config.envModules.map((specifier) => resolveEnvModule(specifier));
    for (let index = 0; index < n; index++) {
      const data: LocalActorData = {
        config,
        shared,
        index,
        runId,
        seed: actorSeed(config.seed, index),
        envModules,
      };
      const watched = startWatchedWorker(workerUrl(), { workerData: data });
      const worker = watched.worker;
      // Why a thread ended (process.exit or an error thrown later in an env module, a script that failed to load).
      const died = (error?: Error) =>
        this.fail(
          new PolicygradError(
            `actor thread ${index} ${watched.ended() ?? `failed: ${String(error).split('\n')[0]}`}`,
          ),
        );
      worker.on('message', (message: LocalActorMessage) => {
        if ('failure' in message) this.fail(new PolicygradError(`actor ${index}: ${message.failure}`));
        else if ('ready' in message) {
          if (++this.readyCount === this.workers.length) this.onAllReady?.();
        } else {
          this.queue.push({ actor: index, header: message.header, payload: message.payload });
          this.wake();
        }
      });
      worker.on('error', died);
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closed) died();
      });
      this.workers.push(worker);
    }
  }

  /** Actor threads started. */
  get numActors(): number {
    return this.workers.length;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    Atomics.store(this.control, LOCAL_STOP, 1);
    this.wake();
    this.onAllReady?.(); // `ready` resolves too: the next `receive` reports the failure
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  async receive(maxChunks: number, waitMs: number): Promise<RawChunk[]> {
    // Let every actor's port deliver what it has sent first: a learner that only ever resumed from one port's
    // message event would, iteration after iteration, see only that actor's chunks.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.queue.length === 0 && this.failure === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, waitMs);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.failure !== null) throw this.failure;
    const taken = this.queue.splice(0, maxChunks);
    for (const { actor } of taken) {
      Atomics.add(this.control, LOCAL_CREDITS + actor, 1);
      Atomics.notify(this.control, LOCAL_CREDITS + actor);
    }
    return taken.map(({ actor, header, payload }) => ({ id: `${actor}:${this.next++}`, header, payload }));
  }

  /** Nothing to do: a chunk lost with this process is lost with its actors too. */
  async acknowledge(): Promise<void> {}

  async publish(params: Float32Array, version: number): Promise<void> {
    Atomics.add(this.control, LOCAL_SEQUENCE, 1); // odd: writing
    this.params.set(params);
    Atomics.store(this.control, LOCAL_VERSION, version);
    Atomics.add(this.control, LOCAL_SEQUENCE, 1); // even: complete
  }

  /** Stops the actor threads (they finish their current chunk) and waits for them to exit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, LOCAL_STOP, 1);
    for (let i = 0; i < this.workers.length; i++) Atomics.notify(this.control, LOCAL_CREDITS + i);
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5000);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}
