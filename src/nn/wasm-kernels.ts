/**
 * The WebAssembly SIMD implementation of the dense-layer kernels (source: assembly/kernels.ts), behind the same
 * `DenseKernels` interface as the TypeScript reference.
 *
 * Memory: one shared `WebAssembly.Memory`. Shared memory matters here: growing it never detaches the typed
 * arrays already handed out (a non-shared memory's old views go stale when it grows), so workspaces and even a
 * policy's parameter vector can live in wasm memory for the life of the program. Arrays the kernels receive that
 * live in that memory are used in place; other float32 arrays are copied into a staging area for the call and
 * copied back when they are outputs. float64 arrays (the gradient checks) go to the TypeScript kernels.
 */
import {
  type Activation,
  type DenseKernels,
  type Floats,
  type NetworkLayer,
  type NetworkPlan,
  tsKernels,
} from './kernels.js';
import {
  gateCount,
  type RecurrentGradients,
  type RecurrentKernels,
  type RecurrentShape,
  type RecurrentTrace,
  type RecurrentWeights,
  tsRecurrentKernels,
} from './recurrent-kernels.js';
import { WASM_KERNELS_BASE64 } from './wasm-binary.js';

interface KernelExports {
  gemm(
    A: number,
    sam: number,
    sak: number,
    B: number,
    C: number,
    M: number,
    K: number,
    N: number,
    acc: number,
  ): void;
  tanhArray(src: number, dst: number, n: number): void;
  denseForwardLayers(table: number, layers: number, batch: number, scratch: number): void;
  sigmoidArray(src: number, dst: number, n: number): void;
  recurrentForward(...args: number[]): void;
  recurrentBackward(...args: number[]): void;
  eluOrGeluArray(src: number, dst: number, n: number, act: number): void;
  ppoMinibatch(context: number): number;
  ppoActorHalf(context: number): number;
  ppoCriticHalf(context: number): void;
  ppoApply(context: number): number;
  ppoNorm(context: number): number;
  ppoStepRange(context: number, from: number, to: number): void;
  actBatch(context: number): number;
  adamStep(
    params: number,
    grads: number,
    m: number,
    v: number,
    n: number,
    stepSize: number,
    beta1: number,
    beta2: number,
    sqrtCorrection2: number,
    epsilon: number,
  ): void;
  denseForward(
    W: number,
    b: number,
    X: number,
    Y: number,
    Z: number,
    scratch: number,
    batch: number,
    nIn: number,
    nOut: number,
    act: number,
  ): void;
  denseBackward(
    W: number,
    X: number,
    Y: number,
    Z: number,
    dY: number,
    dW: number,
    db: number,
    dX: number,
    batch: number,
    nIn: number,
    nOut: number,
    act: number,
  ): void;
  denseJvp(
    W: number,
    vW: number,
    vb: number,
    X: number,
    vX: number,
    Y: number,
    Z: number,
    vY: number,
    scratch: number,
    batch: number,
    nIn: number,
    nOut: number,
    act: number,
  ): void;
}

const PAGE = 65536;
const INITIAL_PAGES = 16;
/** 1 GiB: shared memories need a maximum; address space is only reserved, not committed. */
const MAXIMUM_PAGES = 16384;
/** Offset 0 means "no array" to the kernels, so nothing is ever allocated below this. */
const HEAP_START = 1024;
const ACTIVATION_CODE: Record<Activation, number> = { identity: 0, tanh: 1, relu: 2, elu: 3, gelu: 4 };

function align16(bytes: number): number {
  return (bytes + 15) & ~15;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** One instance of the kernels with its own memory and allocator. */
export class WasmKernels implements DenseKernels, RecurrentKernels {
  readonly name = 'wasm-simd';
  readonly memory: WebAssembly.Memory;
  private readonly exports: KernelExports;
  /**
   * Buffer objects known to wrap (or not) this memory. Views made before a growth keep the old object, and V8 may
   * hand out a new SharedArrayBuffer object for the same shared memory at other times too (seen in Node 20), so
   * an unknown buffer is probed once: a value written through the memory must appear through the buffer.
   */
  private readonly bufferCache = new WeakMap<ArrayBufferLike, boolean>();
  private probeCounter = 0;
  private heapTop: number;
  /** End of this instance's heap: the memory's maximum, or the region another instance gave it (`createWasmKernelsOn`). */
  private readonly heapEnd: number;
  /** Where `isOurs` writes its probe: instances sharing one memory need their own (two threads may probe at once). */
  private readonly probeOffset: number;
  private readonly freeBlocks: { pointer: number; bytes: number }[] = [];
  /** Per-call staging area for arrays that live outside wasm memory; reset at the end of each call. */
  private staging = { pointer: 0, bytes: 0, used: 0 };
  private heapF32: Float32Array;
  /** `memory.buffer` as of the last growth (known to be ours). */
  private currentBuffer: ArrayBufferLike;

  constructor(module: WebAssembly.Module, share?: SharedRegion) {
    this.memory =
      share?.memory ??
      new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    this.heapTop = share?.start ?? HEAP_START;
    this.heapEnd = share?.end ?? MAXIMUM_PAGES * PAGE;
    this.probeOffset = share?.probe ?? 0;
    // The module has no data segments and no globals in memory: a second instance on the same memory writes nothing.
    // exp and log are the host's own, so the fused update's loss heads give the bits of the JavaScript heads.
    const instance = new WebAssembly.Instance(module, {
      env: { memory: this.memory, exp: Math.exp, log: Math.log },
    });
    this.exports = instance.exports as unknown as KernelExports;
    this.heapF32 = new Float32Array(this.memory.buffer);
    this.currentBuffer = this.heapF32.buffer;
    this.bufferCache.set(this.currentBuffer, true);
  }

  /** A zeroed float32 array in wasm memory: the kernels use it without copying. */
  allocate(length: number): Float32Array {
    const pointer = this.allocateBytes(length * 4); // may grow the memory: read .buffer after it
    const array = new Float32Array(this.memory.buffer, pointer, length);
    array.fill(0);
    return array;
  }

  /** A zeroed float64 array in wasm memory (optimizer moments). */
  allocateFloat64(length: number): Float64Array {
    const pointer = this.allocateBytes(length * 8); // may grow the memory: read .buffer after it
    const array = new Float64Array(this.memory.buffer, pointer, length);
    array.fill(0);
    return array;
  }

  private allocateBytes(size: number): number {
    const bytes = align16(Math.max(4, size));
    let pointer: number;
    const index = this.freeBlocks.findIndex((block) => block.bytes >= bytes);
    if (index >= 0) {
      const block = this.freeBlocks[index];
      pointer = block.pointer;
      if (block.bytes > bytes) {
        block.pointer += bytes;
        block.bytes -= bytes;
      } else {
        this.freeBlocks.splice(index, 1);
      }
    } else {
      pointer = this.heapTop;
      if (pointer + bytes > this.heapEnd) {
        throw new Error(
          `wasm kernels: out of heap (${bytes} bytes more than the ${this.heapEnd} this instance has)`,
        );
      }
      this.heapTop += bytes;
      this.ensureMemory(this.heapTop);
    }
    return pointer;
  }

  /** Returns an array from `allocate` to the allocator; the array must not be used afterwards. */
  release(array: Float32Array | Float64Array): void {
    if (!this.isOurs(array.buffer)) return;
    this.freeBlocks.push({ pointer: array.byteOffset, bytes: align16(Math.max(4, array.byteLength)) });
  }

  /** True when `array` lives in this instance's memory (so the kernels use it in place). */
  owns(array: Floats): boolean {
    return array instanceof Float32Array && this.isOurs(array.buffer);
  }

  /** True when any typed array (float64 and int32 included) lives in this instance's memory. */
  holds(array: ArrayBufferView): boolean {
    return this.isOurs(array.buffer);
  }

  /**
   * One PPO minibatch — forward of actor and critic, loss heads, backward, clipping, Adam — in one call, on the
   * context `src/algos/fused-ppo.ts` lays out in this memory; returns 1 when the optimizer step was taken.
   */
  ppoMinibatch(context: Float64Array): number {
    return this.exports.ppoMinibatch(context.byteOffset);
  }

  /**
   * The halves of `ppoMinibatch` for two threads, on its context (at byte offset `context`): the actor's (−1 when
   * a mask allows no action), the critic's (may run at the same time on another instance on this memory), then
   * the step (1 when taken, 0 when the target-KL stop kept it out).
   */
  ppoActorHalf(context: number): number {
    return this.exports.ppoActorHalf(context);
  }

  ppoCriticHalf(context: number): void {
    this.exports.ppoCriticHalf(context);
  }

  ppoApply(context: number): number {
    return this.exports.ppoApply(context);
  }

  /**
   * `ppoApply` in two parts, so that two threads may share the step: the norm and the clip factor (0 when the
   * target-KL stop keeps the step out), then the clip and Adam over parameters [from, to), elementwise.
   */
  ppoNorm(context: number): number {
    return this.exports.ppoNorm(context);
  }

  ppoStepRange(context: number, from: number, to: number): void {
    this.exports.ppoStepRange(context, from, to);
  }

  /**
   * The rollout's batched act — forward of actor and critic, the head's sample, log-prob and value — in one call,
   * on the context `src/policies/fused-act.ts` lays out in this memory; returns −1 when a mask allows no action.
   */
  actBatch(context: Float64Array): number {
    return this.exports.actBatch(context.byteOffset);
  }

  private isOurs(buffer: ArrayBufferLike): boolean {
    // The common case first: the memory's current buffer object, without a WeakMap lookup (every kernel call
    // asks this for each of its arrays).
    if (buffer === this.currentBuffer) return true;
    const known = this.bufferCache.get(buffer);
    if (known !== undefined) return known;
    let ours = false;
    if (
      typeof SharedArrayBuffer === 'function' &&
      buffer instanceof SharedArrayBuffer &&
      buffer.byteLength >= 8
    ) {
      // Bytes below HEAP_START are never allocated: each instance on a memory probes its own 8 of them.
      const mine = new Int32Array(this.memory.buffer, this.probeOffset, 2);
      const theirs = new Int32Array(buffer, this.probeOffset, 2);
      mine[0] = 0x7067726e; // 'pgrn'
      mine[1] = ++this.probeCounter;
      ours = theirs[0] === mine[0] && theirs[1] === mine[1];
      mine[0] = 0;
      ours &&= theirs[0] === 0;
    }
    this.bufferCache.set(buffer, ours);
    return ours;
  }

  adamStep(
    params: Float32Array,
    grads: Float32Array,
    m: Float64Array,
    v: Float64Array,
    stepSize: number,
    beta1: number,
    beta2: number,
    sqrtCorrection2: number,
    epsilon: number,
  ): void {
    if (!this.isOurs(m.buffer) || !this.isOurs(v.buffer)) {
      throw new Error('WasmKernels.adamStep: the moments must come from allocateFloat64');
    }
    const n = m.length;
    const p = this.resolve(params, n, true);
    const g = this.resolve(grads, n, true);
    this.exports.adamStep(
      this.pointer(p),
      this.pointer(g),
      m.byteOffset,
      v.byteOffset,
      n,
      stepSize,
      beta1,
      beta2,
      sqrtCorrection2,
      epsilon,
    );
    this.copyOut(p, params, n);
    this.endCall();
  }

  private ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.heapF32 = new Float32Array(this.memory.buffer);
    this.currentBuffer = this.heapF32.buffer;
    this.bufferCache.set(this.currentBuffer, true);
  }

  /** Reserves `floats` floats of staging space for the current call. */
  private stage(floats: number): number {
    const bytes = align16(Math.max(4, floats * 4));
    if (this.staging.used + bytes > this.staging.bytes) {
      // Grow the staging area; anything staged earlier in this call is copied along.
      const size = Math.max(2 * this.staging.bytes, this.staging.used + bytes, 1 << 16);
      const pointer = this.allocate(size / 4).byteOffset;
      if (this.staging.used > 0) {
        this.heapF32.copyWithin(
          pointer / 4,
          this.staging.pointer / 4,
          (this.staging.pointer + this.staging.used) / 4,
        );
      }
      if (this.staging.bytes > 0) {
        this.freeBlocks.push({ pointer: this.staging.pointer, bytes: this.staging.bytes });
      }
      this.staging = { pointer, bytes: size, used: this.staging.used };
    }
    const pointer = this.staging.pointer + this.staging.used;
    this.staging.used += bytes;
    return pointer;
  }

  /**
   * The byte offset of `array` (its first `length` elements) for the kernels: in place when it lives in wasm
   * memory, else a staged copy (when `copyIn`). Returns the offset relative to the staging area's start for
   * staged arrays so that a staging growth later in the same call cannot invalidate it.
   */
  private resolve(array: Floats, length: number, copyIn: boolean): Resolved {
    if (this.owns(array)) return { staged: false, offset: array.byteOffset };
    const pointer = this.stage(length);
    if (copyIn) this.heapF32.set(array.length === length ? array : array.subarray(0, length), pointer / 4);
    return { staged: true, offset: pointer - this.staging.pointer };
  }

  /** Staging space for the kernels' own temporaries (the transposed weights). */
  private scratch(floats: number): Resolved {
    const pointer = this.stage(floats);
    return { staged: true, offset: pointer - this.staging.pointer };
  }

  private pointer(r: Resolved): number {
    return r.staged ? this.staging.pointer + r.offset : r.offset;
  }

  private copyOut(r: Resolved, array: Floats, length: number): void {
    if (!r.staged) return;
    const start = this.pointer(r) / 4;
    array.set(this.heapF32.subarray(start, start + length));
  }

  private endCall(): void {
    this.staging.used = 0;
  }

  /** A gelu layer's pre-activations (its derivative needs them); null for every other activation. */
  private preActivations(
    act: Activation,
    Z: Floats | null,
    length: number,
    copyIn: boolean,
  ): Resolved | null {
    if (act !== 'gelu') return null;
    if (Z === null) throw new Error('dense kernels: a gelu layer needs its pre-activation array Z');
    return this.resolve(Z, length, copyIn);
  }

  forward(
    W: Floats,
    b: Floats,
    X: Floats,
    Y: Floats,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
    Z: Floats | null = null,
  ): void {
    if (!(W instanceof Float32Array && X instanceof Float32Array && Y instanceof Float32Array)) {
      tsKernels.forward(W, b, X, Y, batch, nIn, nOut, act, Z);
      return;
    }
    const w = this.resolve(W, nOut * nIn, true);
    const bias = this.resolve(b, nOut, true);
    const x = this.resolve(X, batch * nIn, true);
    const y = this.resolve(Y, batch * nOut, false);
    const z = this.preActivations(act, Z, batch * nOut, false);
    const scratch = this.scratch(Math.max(nIn, nOut) ** 2);
    this.exports.denseForward(
      this.pointer(w),
      this.pointer(bias),
      this.pointer(x),
      this.pointer(y),
      z === null ? 0 : this.pointer(z),
      this.pointer(scratch),
      batch,
      nIn,
      nOut,
      ACTIVATION_CODE[act],
    );
    this.copyOut(y, Y, batch * nOut);
    if (z !== null && Z !== null) this.copyOut(z, Z, batch * nOut);
    this.endCall();
  }

  backward(
    W: Floats,
    X: Floats,
    Y: Floats,
    dY: Floats,
    dW: Floats,
    db: Floats,
    dX: Floats | null,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
    Z: Floats | null = null,
  ): void {
    if (!(W instanceof Float32Array && X instanceof Float32Array && dW instanceof Float32Array)) {
      tsKernels.backward(W, X, Y, dY, dW, db, dX, batch, nIn, nOut, act, Z);
      return;
    }
    const w = this.resolve(W, nOut * nIn, true);
    const x = this.resolve(X, batch * nIn, true);
    const y = this.resolve(Y, batch * nOut, true);
    const z = this.preActivations(act, Z, batch * nOut, true);
    const dy = this.resolve(dY, batch * nOut, true);
    const dw = this.resolve(dW, nOut * nIn, true);
    const dbias = this.resolve(db, nOut, true);
    const dx = dX === null ? null : this.resolve(dX, batch * nIn, false);
    this.exports.denseBackward(
      this.pointer(w),
      this.pointer(x),
      this.pointer(y),
      z === null ? 0 : this.pointer(z),
      this.pointer(dy),
      this.pointer(dw),
      this.pointer(dbias),
      dx === null ? 0 : this.pointer(dx),
      batch,
      nIn,
      nOut,
      ACTIVATION_CODE[act],
    );
    this.copyOut(dy, dY, batch * nOut);
    this.copyOut(dw, dW, nOut * nIn);
    this.copyOut(dbias, db, nOut);
    if (dx !== null && dX !== null) this.copyOut(dx, dX, batch * nIn);
    this.endCall();
  }

  jvp(
    W: Floats,
    vW: Floats,
    vb: Floats,
    X: Floats,
    vX: Floats | null,
    Y: Floats,
    vY: Floats,
    batch: number,
    nIn: number,
    nOut: number,
    act: Activation,
    Z: Floats | null = null,
  ): void {
    if (!(W instanceof Float32Array && X instanceof Float32Array && vY instanceof Float32Array)) {
      tsKernels.jvp(W, vW, vb, X, vX, Y, vY, batch, nIn, nOut, act, Z);
      return;
    }
    const w = this.resolve(W, nOut * nIn, true);
    const vw = this.resolve(vW, nOut * nIn, true);
    const vbias = this.resolve(vb, nOut, true);
    const x = this.resolve(X, batch * nIn, true);
    const vx = vX === null ? null : this.resolve(vX, batch * nIn, true);
    const y = this.resolve(Y, batch * nOut, true);
    const z = this.preActivations(act, Z, batch * nOut, true);
    const vy = this.resolve(vY, batch * nOut, false);
    const scratch = this.scratch(Math.max(nIn, nOut) ** 2);
    this.exports.denseJvp(
      this.pointer(w),
      this.pointer(vw),
      this.pointer(vbias),
      this.pointer(x),
      vx === null ? 0 : this.pointer(vx),
      this.pointer(y),
      z === null ? 0 : this.pointer(z),
      this.pointer(vy),
      this.pointer(scratch),
      batch,
      nIn,
      nOut,
      ACTIVATION_CODE[act],
    );
    this.copyOut(vy, vY, batch * nOut);
    this.endCall();
  }

  /** A layer table in wasm memory (`denseForwardLayers`' layout) and the passes' shared scratch. */
  planForward(layers: readonly NetworkLayer[]): NetworkPlan | null {
    const arrays = layers.flatMap((l) => (l.Z === null ? [l.W, l.b, l.X, l.Y] : [l.W, l.b, l.X, l.Y, l.Z]));
    if (!arrays.every((array) => this.owns(array))) return null;
    const table = this.allocate(layers.length * LAYER_ENTRY_INTS);
    const entries = new Int32Array(table.buffer, table.byteOffset, table.length);
    layers.forEach((l, i) => {
      const entry = [l.W, l.b, l.X, l.Y].map((array) => array.byteOffset);
      entry.push(l.Z?.byteOffset ?? 0, l.nIn, l.nOut, ACTIVATION_CODE[l.act]);
      entries.set(entry, i * LAYER_ENTRY_INTS);
    });
    const widest = Math.max(...layers.map((l) => Math.max(l.nIn, l.nOut)));
    const plan: WasmNetworkPlan = { layerCount: layers.length, table, scratch: this.allocate(widest ** 2) };
    return plan;
  }

  forwardPlanned(plan: NetworkPlan, batch: number): void {
    const { table, scratch, layerCount } = plan as WasmNetworkPlan;
    this.exports.denseForwardLayers(table.byteOffset, layerCount, batch, scratch.byteOffset);
  }

  releasePlan(plan: NetworkPlan): void {
    const { table, scratch } = plan as WasmNetworkPlan;
    this.release(table);
    this.release(scratch);
  }

  /** dst = tanh(src), elementwise, with the kernels' vectorised tanh (for tests of its error bound). */
  tanh(src: Float32Array, dst: Float32Array): void {
    const s = this.resolve(src, src.length, true);
    const d = this.resolve(dst, dst.length, false);
    this.exports.tanhArray(this.pointer(s), this.pointer(d), src.length);
    this.copyOut(d, dst, dst.length);
    this.endCall();
  }

  /** dst = act(src) elementwise with the kernels' vectorised elu or gelu (for tests of their error bounds). */
  activate(act: 'elu' | 'gelu', src: Float32Array, dst: Float32Array): void {
    const s = this.resolve(src, src.length, true);
    const d = this.resolve(dst, dst.length, false);
    this.exports.eluOrGeluArray(this.pointer(s), this.pointer(d), src.length, ACTIVATION_CODE[act]);
    this.copyOut(d, dst, dst.length);
    this.endCall();
  }

  /** dst = σ(src) elementwise with the kernels' σ(x) = (1 + tanh(x/2))/2 (for tests of its error bound). */
  sigmoid(src: Float32Array, dst: Float32Array): void {
    const s = this.resolve(src, src.length, true);
    const d = this.resolve(dst, dst.length, false);
    this.exports.sigmoidArray(this.pointer(s), this.pointer(d), src.length);
    this.copyOut(d, dst, dst.length);
    this.endCall();
  }

  /** LSTM/GRU forward over a sequence (see recurrent-kernels.ts); float64 arrays go to the reference. */
  recurrentForward(shape: RecurrentShape, weights: RecurrentWeights, trace: RecurrentTrace): void {
    if (!allFloat32([weights.Wih, weights.Whh, weights.bih, weights.bhh, trace.X, trace.Y, trace.gates])) {
      tsRecurrentKernels.recurrentForward(shape, weights, trace);
      return;
    }
    const { cell, steps: T, batch: B, inputSize: I, hiddenSize: H } = shape;
    const lstm = cell === 'lstm';
    const GH = gateCount(cell) * H;
    const rows = T * B;
    const w = this.resolveWeights(weights, GH, I, H);
    const x = this.resolve(trace.X, rows * I, true);
    const starts = this.resolve(trace.starts, rows, true);
    const h0 = this.resolve(trace.h0, B * H, true);
    const c0 = lstm ? this.resolve(trace.c0, B * H, true) : null;
    const hPrev = this.resolve(trace.Hprev, rows * H, false);
    const cPrev = lstm ? this.resolve(trace.Cprev, rows * H, false) : null;
    const gates = this.resolve(trace.gates, rows * 4 * H, false);
    const y = this.resolve(trace.Y, rows * H, false);
    const c = lstm ? this.resolve(trace.C, rows * H, false) : null;
    const tanhC = lstm ? this.resolve(trace.tanhC, rows * H, false) : null;
    const pre = this.resolve(trace.pre, rows * GH, false);
    const scratch = this.scratch((I + H + B) * GH);
    this.exports.recurrentForward(
      lstm ? 0 : 1,
      this.pointer(w.Wih),
      this.pointer(w.Whh),
      this.pointer(w.bih),
      this.pointer(w.bhh),
      this.pointer(x),
      this.pointer(starts),
      this.pointer(h0),
      this.optionalPointer(c0),
      this.pointer(hPrev),
      this.optionalPointer(cPrev),
      this.pointer(gates),
      this.pointer(y),
      this.optionalPointer(c),
      this.optionalPointer(tanhC),
      this.pointer(pre),
      this.pointer(scratch),
      T,
      B,
      I,
      H,
    );
    this.copyOut(hPrev, trace.Hprev, rows * H);
    this.copyOut(gates, trace.gates, rows * 4 * H);
    this.copyOut(y, trace.Y, rows * H);
    if (cPrev !== null && c !== null && tanhC !== null) {
      this.copyOut(cPrev, trace.Cprev, rows * H);
      this.copyOut(c, trace.C, rows * H);
      this.copyOut(tanhC, trace.tanhC, rows * H);
    }
    this.endCall();
  }

  /** LSTM/GRU backward through time (see recurrent-kernels.ts); float64 arrays go to the reference. */
  recurrentBackward(
    shape: RecurrentShape,
    weights: RecurrentWeights,
    trace: RecurrentTrace,
    grads: RecurrentGradients,
  ): void {
    if (!allFloat32([weights.Wih, weights.Whh, trace.X, trace.gates, grads.dY, grads.dWih, grads.dh0])) {
      tsRecurrentKernels.recurrentBackward(shape, weights, trace, grads);
      return;
    }
    const { cell, steps: T, batch: B, inputSize: I, hiddenSize: H } = shape;
    const lstm = cell === 'lstm';
    const GH = gateCount(cell) * H;
    const rows = T * B;
    const wih = this.resolve(weights.Wih, GH * I, true);
    const whh = this.resolve(weights.Whh, GH * H, true);
    const x = this.resolve(trace.X, rows * I, true);
    const starts = this.resolve(trace.starts, rows, true);
    const hPrev = this.resolve(trace.Hprev, rows * H, true);
    const cPrev = lstm ? this.resolve(trace.Cprev, rows * H, true) : null;
    const gates = this.resolve(trace.gates, rows * 4 * H, true);
    const tanhC = lstm ? this.resolve(trace.tanhC, rows * H, true) : null;
    const dY = this.resolve(grads.dY, rows * H, true);
    const dhT = grads.dhT === null ? null : this.resolve(grads.dhT, B * H, true);
    const dcT = lstm && grads.dcT !== null ? this.resolve(grads.dcT, B * H, true) : null;
    const dWih = this.resolve(grads.dWih, GH * I, true);
    const dWhh = this.resolve(grads.dWhh, GH * H, true);
    const dbih = this.resolve(grads.dbih, GH, true);
    const dbhh = this.resolve(grads.dbhh, GH, true);
    const dX = grads.dX === null ? null : this.resolve(grads.dX, rows * I, false);
    const dh0 = this.resolve(grads.dh0, B * H, false);
    const dc0 = lstm ? this.resolve(grads.dc0, B * H, false) : null;
    const dGates = this.resolve(grads.dGates, rows * 4 * H, false);
    const work = this.resolve(grads.work, B * H, false);
    this.exports.recurrentBackward(
      lstm ? 0 : 1,
      this.pointer(wih),
      this.pointer(whh),
      this.pointer(x),
      this.pointer(starts),
      this.pointer(hPrev),
      this.optionalPointer(cPrev),
      this.pointer(gates),
      this.optionalPointer(tanhC),
      this.pointer(dY),
      this.optionalPointer(dhT),
      this.optionalPointer(dcT),
      this.pointer(dWih),
      this.pointer(dWhh),
      this.pointer(dbih),
      this.pointer(dbhh),
      this.optionalPointer(dX),
      this.pointer(dh0),
      this.optionalPointer(dc0),
      this.pointer(dGates),
      this.pointer(work),
      T,
      B,
      I,
      H,
    );
    this.copyOut(dWih, grads.dWih, GH * I);
    this.copyOut(dWhh, grads.dWhh, GH * H);
    this.copyOut(dbih, grads.dbih, GH);
    this.copyOut(dbhh, grads.dbhh, GH);
    if (dX !== null && grads.dX !== null) this.copyOut(dX, grads.dX, rows * I);
    this.copyOut(dh0, grads.dh0, B * H);
    if (dc0 !== null) this.copyOut(dc0, grads.dc0, B * H);
    this.copyOut(dGates, grads.dGates, rows * 4 * H);
    this.endCall();
  }

  private resolveWeights(weights: RecurrentWeights, GH: number, I: number, H: number) {
    return {
      Wih: this.resolve(weights.Wih, GH * I, true),
      Whh: this.resolve(weights.Whh, GH * H, true),
      bih: this.resolve(weights.bih, GH, true),
      bhh: this.resolve(weights.bhh, GH, true),
    };
  }

  private optionalPointer(r: Resolved | null): number {
    return r === null ? 0 : this.pointer(r);
  }

  /** C[M×N] = A[M×K]·B[K×N] (all row-major), the raw matrix product, for benchmarks. */
  matmul(A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void {
    const a = this.resolve(A, M * K, true);
    const b = this.resolve(B, K * N, true);
    const c = this.resolve(C, M * N, false);
    this.exports.gemm(this.pointer(a), K, 1, this.pointer(b), this.pointer(c), M, K, N, 0);
    this.copyOut(c, C, M * N);
    this.endCall();
  }
}

function allFloat32(arrays: Floats[]): boolean {
  return arrays.every((a) => a instanceof Float32Array);
}

/** A heap region of a memory another instance allocated, for an instance on another thread (`createWasmKernelsOn`). */
export interface SharedRegion {
  memory: WebAssembly.Memory;
  /** Byte offsets [start, end) of the region (16-byte aligned, allocated by the memory's owner). */
  start: number;
  end: number;
  /** A byte offset below 1024 (multiple of 8, not 0) where this instance probes typed arrays' buffers. */
  probe: number;
}

/** Int32 slots per layer in `denseForwardLayers`' table: W, b, X, Y, Z (byte offsets), nIn, nOut, act. */
const LAYER_ENTRY_INTS = 8;

interface WasmNetworkPlan extends NetworkPlan {
  table: Float32Array;
  scratch: Float32Array;
}

interface Resolved {
  staged: boolean;
  offset: number;
}

let compiled: WebAssembly.Module | null | undefined;
let unavailableReason = '';

/** Compiles the embedded binary once; null (with the reason kept) where WebAssembly SIMD or threads are missing. */
function compiledModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available');
    if (typeof SharedArrayBuffer !== 'function') {
      throw new Error('SharedArrayBuffer is not available (a browser page needs cross-origin isolation)');
    }
    const bytes = decodeBase64(WASM_KERNELS_BASE64);
    if (!WebAssembly.validate(bytes)) throw new Error('this engine does not support WebAssembly SIMD');
    compiled = new WebAssembly.Module(bytes);
  } catch (error) {
    unavailableReason = error instanceof Error ? error.message : String(error);
    compiled = null;
  }
  return compiled;
}

/** A new instance of the wasm kernels (own memory), or null where they cannot run; see `wasmUnavailableReason`. */
export function createWasmKernels(): WasmKernels | null {
  const module = compiledModule();
  if (module === null) return null;
  try {
    return new WasmKernels(module);
  } catch (error) {
    unavailableReason = error instanceof Error ? error.message : String(error);
    return null;
  }
}

/**
 * An instance of the kernels on another instance's memory (posted to a worker thread), allocating only inside
 * `region.start`..`region.end`, which the memory's owner allocated for it: both read the same parameters in place.
 */
export function createWasmKernelsOn(region: SharedRegion): WasmKernels {
  const module = compiledModule();
  if (module === null) throw new Error(`WebAssembly SIMD kernels are unavailable here: ${unavailableReason}`);
  return new WasmKernels(module, region);
}

/** Why `createWasmKernels` returned null ('' when it did not). */
export function wasmUnavailableReason(): string {
  return unavailableReason;
}
