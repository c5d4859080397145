/**
 * The critic's half of each minibatch on a worker thread (policies/critic-thread.ts), for Node.
 *
 * The worker instantiates the same WebAssembly kernels on the policy's own shared `WebAssembly.Memory`, so it
 * reads the parameters and adds into the gradients in place; its workspaces live in a region of that memory
 * that this thread allocated for it. Each call is a hand-off through a control word in the same memory: the
 * caller stores a request and `Atomics.notify`s, the worker spins briefly on `Atomics.load` before it sleeps in
 * `Atomics.wait` (a minibatch is a few hundred µs: a wake-up from sleep would be a large part of it), and the
 * same on the way back. No message is posted per minibatch. The worker starts at the first call (models that
 * never train start none) and ends with `close()`, or with the process (it is unref'd).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { CHUNK } from '../algos/loss/accumulate.js';
import type { UpdateThreadPort } from '../algos/ports.js';
import { WasmKernels } from '../nn/wasm-kernels.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { CriticThread } from '../policies/critic-thread.js';
import { startWatchedWorker, type WatchedWorker } from './watched-worker.js';

/**
 * Control word states (index 0 of the control block; index 1 holds the batch size). A request (forward, backward, fused)
 * is claimed by the worker with a compare-exchange to its `…Claimed` state, or withdrawn by the caller with one
 * back to idle: exactly one of them does the work.
 */
export const CONTROL = {
  idle: 0,
  forward: 1,
  forwardDone: 2,
  backward: 3,
  backwardDone: 4,
  stop: 5,
  failed: 6,
  forwardClaimed: 7,
  backwardClaimed: 8,
  /** The critic's half of a fused PPO minibatch, on the context whose byte offset is in word CONTEXT. */
  fused: 9,
  fusedClaimed: 10,
  fusedDone: 11,
  /** The critic's part of the fused step (`ppoStepRange` over [criticOffset, numParams)), on the same context. */
  fusedStep: 12,
  fusedStepClaimed: 13,
  fusedStepDone: 14,
} as const;
/** Index of the word holding a fused request's context (a byte offset in the shared memory). */
export const CONTEXT = 3;
/** Index of the word the worker sets to 1 once it is ready. */
export const READY = 2;

/** What the worker script gets (workerData): the memory and byte offsets into it. */
export interface CriticWorkerData {
  memory: WebAssembly.Memory;
  /** The worker's heap region [start, end). */
  heap: { start: number; end: number };
  control: number;
  observations: number;
  values: number;
  gradValues: number;
  params: number;
  grads: number;
  numParams: number;
  criticOffset: number;
  sizes: number[];
  hiddenActivation: string;
  outputActivation: string;
  maxRows: number;
  obsDim: number;
  /** Microseconds the worker spins on the control word before it sleeps. */
  spinMicros: number;
}

/** How long the caller spins before it sleeps while waiting for the worker (µs). */
const CALLER_SPIN_MICROS = 100;
/** The most the worker spins for the next request (µs); it adapts below this (critic-worker.ts). */
const WORKER_SPIN_MICROS = 200;
/** The worker's start (module loading included) should take well under this. */
const START_TIMEOUT_MS = 60_000;

function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/node/critic-worker.js', here)
    : new URL('./critic-worker.js', here);
}

/** What `close()` (or the collector, for a thread object dropped without it) releases; holds no thread object. */
interface Held {
  worker: Worker | null;
  control: Int32Array;
  /** Returns the worker's region and the exchange arrays to the owner's allocator (once). */
  release: (() => void) | null;
}

const abandoned = new FinalizationRegistry<Held>((held) => stopWorker(held));

function stopWorker(held: Held): void {
  if (held.worker !== null) {
    Atomics.store(held.control, 0, CONTROL.stop);
    Atomics.notify(held.control, 0);
    void held.worker.terminate();
    held.worker = null;
  }
  held.release?.();
  held.release = null;
}

export class WorkerCriticThread implements CriticThread {
  readonly maxRows: number;
  private readonly control: Int32Array;
  private readonly observationsIn: Float32Array;
  private readonly valuesOut: Float32Array;
  private readonly gradValuesIn: Float32Array;
  private readonly data: CriticWorkerData;
  private readonly held: Held;
  private batch = 0;
  private done = 0;
  private withdrawn = 0;
  private valueView: Float32Array;
  private closed = false;
  private watched: WatchedWorker | null = null;

  /**
   * `withdraw: false` (tests): every request waits for the worker instead of being taken back, so the worker's side
   * of each hand-off is sure to run.
   */
  constructor(
    policy: ActorCriticPolicy,
    kernels: WasmKernels,
    maxRows = CHUNK,
    private readonly options: { withdraw?: boolean } = {},
  ) {
    const critic = policy.critic;
    this.maxRows = maxRows;
    const widest = Math.max(...critic.sizes);
    // The MLP's three workspaces (gelu: four) at maxRows, twice over for the ones it outgrows on the way there.
    const workspaceFloats = 8 * critic.sizes.reduce((a, b) => a + b, 0) * maxRows;
    const heapBytes = 4 * (workspaceFloats + 4 * widest * widest) + (1 << 20);
    const heap = kernels.allocate(heapBytes / 4);
    const control = kernels.allocate(4);
    this.control = new Int32Array(control.buffer, control.byteOffset, 4);
    this.observationsIn = kernels.allocate(maxRows * policy.obsDim);
    this.valuesOut = kernels.allocate(maxRows);
    this.gradValuesIn = kernels.allocate(maxRows);
    this.valueView = this.valuesOut.subarray(0, 0);
    const last = critic.layers[critic.layers.length - 1];
    this.data = {
      memory: kernels.memory,
      heap: { start: heap.byteOffset, end: heap.byteOffset + heap.byteLength },
      control: this.control.byteOffset,
      observations: this.observationsIn.byteOffset,
      values: this.valuesOut.byteOffset,
      gradValues: this.gradValuesIn.byteOffset,
      params: policy.params.byteOffset,
      grads: policy.grads.byteOffset,
      numParams: policy.params.length,
      criticOffset: policy.criticOffset,
      sizes: [...critic.sizes],
      hiddenActivation: critic.layers.length > 1 ? critic.layers[0].act : 'tanh',
      outputActivation: last.act,
      maxRows,
      obsDim: policy.obsDim,
      spinMicros: WORKER_SPIN_MICROS,
    };
    const arrays = [heap, control, this.observationsIn, this.valuesOut, this.gradValuesIn];
    this.held = {
      worker: null,
      control: this.control,
      release: () => {
        for (const array of arrays) kernels.release(array);
      },
    };
    abandoned.register(this, this.held, this);
  }

  beginValues(observations: Float32Array, batch: number): void {
    this.start();
    const n = batch * this.data.obsDim;
    if (observations.length === n) this.observationsIn.set(observations);
    else this.observationsIn.set(observations.subarray(0, n));
    this.request(CONTROL.forward, batch);
  }

  values(): Float32Array | null {
    if (this.withdraw(CONTROL.forward)) return null;
    this.await(CONTROL.forwardClaimed);
    if (this.valueView.length !== this.batch) this.valueView = this.valuesOut.subarray(0, this.batch);
    return this.valueView;
  }

  beginBackward(gradValues: Float32Array, batch: number): void {
    this.gradValuesIn.set(gradValues.length === batch ? gradValues : gradValues.subarray(0, batch));
    this.request(CONTROL.backward, batch);
  }

  endBackward(): boolean {
    return this.collect(CONTROL.backward, CONTROL.backwardClaimed);
  }

  beginFusedCritic(context: number): void {
    this.start();
    Atomics.store(this.control, CONTEXT, context);
    this.request(CONTROL.fused, 0);
  }

  endFusedCritic(): boolean {
    return this.collect(CONTROL.fused, CONTROL.fusedClaimed);
  }

  beginFusedStep(context: number): void {
    Atomics.store(this.control, CONTEXT, context);
    this.request(CONTROL.fusedStep, 0);
  }

  endFusedStep(): boolean {
    return this.collect(CONTROL.fusedStep, CONTROL.fusedStepClaimed);
  }

  /**
   * Diagnostics (bench/speed.mjs): microseconds from a request to its result, for V(s) of one row, waiting for the
   * worker to claim it instead of withdrawing it: the hand-off's round trip.
   */
  roundTripMicros(): number {
    this.start();
    const start = performance.now();
    this.request(CONTROL.forward, 1);
    while (Atomics.load(this.control, 0) === CONTROL.forward); // until claimed
    this.await(CONTROL.forwardClaimed);
    return (performance.now() - start) * 1000;
  }

  /** Counts of requests the worker did and the caller withdrew (how busy the machine was). */
  get handOffs(): { done: number; withdrawn: number } {
    return { done: this.done, withdrawn: this.withdrawn };
  }

  /** Stops the worker; the thread object must not be used afterwards. */
  close(): void {
    this.closed = true;
    abandoned.unregister(this);
    stopWorker(this.held);
  }

  private start(): void {
    if (this.held.worker !== null) return;
    if (this.closed) throw new Error('critic thread: used after close()');
    Atomics.store(this.control, 0, CONTROL.idle);
    Atomics.store(this.control, READY, 0);
    // Watched: this thread waits in Atomics.wait, where it would never hear the worker's 'error' or 'exit' event.
    const watched = startWatchedWorker(workerUrl(), { workerData: this.data });
    watched.worker.unref();
    this.watched = watched;
    this.held.worker = watched.worker;
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (Atomics.load(this.control, READY) === 0) {
      const ended = watched.ended();
      if (ended !== null || performance.now() > deadline) {
        this.close();
        const why = ended ?? `not ready after ${START_TIMEOUT_MS / 1000} s`;
        throw new Error(`the critic thread did not start: it ${why}; run with threads: 1`);
      }
      Atomics.wait(this.control, READY, 0, 50);
    }
  }

  private request(state: number, batch: number): void {
    this.batch = batch;
    Atomics.store(this.control, 1, batch);
    Atomics.store(this.control, 0, state);
    Atomics.notify(this.control, 0);
  }

  /** False when the request was taken back (the caller does the work), else true once the worker has done it. */
  private collect(requested: number, claimed: number): boolean {
    if (this.withdraw(requested)) return false;
    this.await(claimed);
    return true;
  }

  /** Takes back a request the worker has not claimed (true), else (it has) false. */
  private withdraw(requested: number): boolean {
    if (this.options.withdraw === false) {
      while (Atomics.load(this.control, 0) === requested) {
        if (Atomics.wait(this.control, 0, requested, 10) === 'timed-out') this.throwIfEnded();
      }
    } else if (Atomics.compareExchange(this.control, 0, requested, CONTROL.idle) === requested) {
      this.withdrawn++;
      return true;
    }
    this.done++;
    return false;
  }

  /** Throws if the worker thread has ended (it can no longer answer). */
  private throwIfEnded(): void {
    const ended = this.watched?.ended() ?? null;
    if (ended === null) return;
    this.close();
    throw new Error(`the critic thread ${ended}; run with threads: 1`);
  }

  /** Waits while the worker works on a claimed request (`claimed`): it stores the next state when it is done. */
  private await(claimed: number): void {
    const control = this.control;
    if (Atomics.load(control, 0) === claimed) {
      const until = performance.now() + CALLER_SPIN_MICROS / 1000;
      for (let k = 1; Atomics.load(control, 0) === claimed; k++) {
        if ((k & 63) === 0 && performance.now() > until) {
          while (Atomics.load(control, 0) === claimed) {
            if (Atomics.wait(control, 0, claimed, 1000) === 'timed-out') this.throwIfEnded();
          }
          break;
        }
      }
    }
    if (Atomics.load(control, 0) === CONTROL.failed) {
      this.close();
      throw new Error('the critic thread failed (see the error above); run with threads: 1');
    }
  }
}

/** Node's update-thread port: the machine's cores, and a critic thread for a policy whose parameters allow it. */
export const nodeUpdateThreads: UpdateThreadPort = {
  cores: () => availableParallelism(),
  start(policy, requested) {
    // From source (the tests), the worker is the compiled one in dist/, which may be older than the source: used
    // only when asked for by name.
    const fromSource = import.meta.url.endsWith('.ts');
    if (fromSource && requested === 'auto') return "running from source: 'auto' is one thread there";
    if (!existsSync(fileURLToPath(workerUrl()))) return 'no compiled critic-worker.js: npm run build';
    const kernels = policy.critic.kernels;
    if (!(kernels instanceof WasmKernels)) return 'TypeScript kernels';
    if (!kernels.owns(policy.params) || !kernels.owns(policy.grads)) return 'parameters outside wasm memory';
    return new WorkerCriticThread(policy, kernels);
  },
};
