/**
 * Spaces: the sets that observations and actions live in, with Gymnasium's semantics.
 *
 * Value representation (JavaScript has no ndarray, so each space fixes one):
 * - `Discrete`      → a number (an integer in [start, start + n)).
 * - `Box`           → a `Float32Array` (dtype float32) or `Float64Array` (float64), row-major over `shape`.
 * - `MultiDiscrete` → an `Int32Array`, element i in [start[i], start[i] + nvec[i]).
 * - `MultiBinary`   → an `Int8Array` of 0/1.
 * - `Dict`          → a plain object mapping each key to a value of its sub-space (one level; keys sorted).
 *
 * `contains(x)` also accepts plain number arrays where a typed array is expected, but not a typed array of a
 * wider type (a `Float64Array` is not in a float32 `Box`, as NumPy's `can_cast` rule says in Gymnasium).
 */
import { describeValue, PolicygradError } from '../errors.js';
import type { Rng } from '../rng.js';

export type Dtype = 'float32' | 'float64' | 'int64' | 'int32' | 'int8';
export type BoxValue = Float32Array | Float64Array;
export type DictValue = Record<string, unknown>;

/** A JSON-safe description of a space (±Infinity written as the strings "Infinity" / "-Infinity"). */
export type SpaceJSON =
  | { type: 'Discrete'; n: number; start: number }
  | {
      type: 'Box';
      shape: number[];
      dtype: 'float32' | 'float64';
      low: (number | string)[];
      high: (number | string)[];
    }
  | { type: 'MultiDiscrete'; nvec: number[]; start: number[] }
  | { type: 'MultiBinary'; n: number }
  | { type: 'Dict'; spaces: Record<string, SpaceJSON> };

export interface Space<T = unknown> {
  readonly type: SpaceJSON['type'];
  readonly shape: readonly number[];
  readonly dtype: Dtype | null;
  /** Draws a random element using `rng`. */
  sample(rng: Rng): T;
  /** Whether `x` is an element of this space (right type, shape, and within bounds). */
  contains(x: unknown): boolean;
  toJSON(): SpaceJSON;
  toString(): string;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isNumberArrayLike(x: unknown): x is ArrayLike<number> {
  if (Array.isArray(x)) return x.every((v) => typeof v === 'number');
  return (
    ArrayBuffer.isView(x) &&
    !(x instanceof DataView) &&
    !(x instanceof BigInt64Array || x instanceof BigUint64Array)
  );
}

function assertShape(shape: readonly number[], what: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new PolicygradError(
      `${what}: invalid shape ${describeValue(shape)}: expected an array of non-negative integers`,
    );
  }
}

export class Discrete implements Space<number> {
  readonly type = 'Discrete' as const;
  readonly shape: readonly number[] = [];
  readonly dtype = 'int64' as const;

  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new PolicygradError(`Discrete: invalid n ${describeValue(n)}: expected a positive integer`);
    }
    if (!Number.isSafeInteger(start)) {
      throw new PolicygradError(`Discrete: invalid start ${describeValue(start)}: expected an integer`);
    }
  }

  sample(rng: Rng): number {
    return this.start + rng.integer(0, this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toJSON(): SpaceJSON {
    return { type: 'Discrete', n: this.n, start: this.start };
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

export interface BoxOptions {
  /** Lower bound: one number for every element, or one per element. −Infinity for unbounded. */
  low: number | ArrayLike<number>;
  /** Upper bound: one number for every element, or one per element. +Infinity for unbounded. */
  high: number | ArrayLike<number>;
  /** Shape; inferred from `low`/`high` arrays when omitted. */
  shape?: readonly number[];
  dtype?: 'float32' | 'float64';
}

/** `T` is the value type: `Float32Array` for dtype float32 (the default), `Float64Array` for float64. */
export class Box<T extends BoxValue = BoxValue> implements Space<T> {
  readonly type = 'Box' as const;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'float64';
  /** Bounds as exact values of `dtype`, widened to float64. */
  readonly low: Float64Array;
  readonly high: Float64Array;
  /** Number of elements (product of the shape). */
  readonly size: number;

  constructor(options: BoxOptions) {
    const { low, high } = options;
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new PolicygradError(
        `Box: invalid dtype ${describeValue(this.dtype)}: expected 'float32' or 'float64'`,
      );
    }
    const inferred =
      typeof low !== 'number' ? [low.length] : typeof high !== 'number' ? [high.length] : undefined;
    const shape = options.shape ?? inferred;
    if (shape === undefined) throw new PolicygradError('Box: give a shape, or low/high as arrays');
    assertShape(shape, 'Box');
    this.shape = [...shape];
    this.size = product(shape);
    const round = this.dtype === 'float32' ? Math.fround : (v: number) => v;
    const expand = (bound: number | ArrayLike<number>, name: string): Float64Array => {
      if (typeof bound === 'number') return new Float64Array(this.size).fill(round(bound));
      if (bound.length !== this.size) {
        throw new PolicygradError(
          `Box: ${name} has ${bound.length} elements but shape [${this.shape}] has ${this.size}`,
        );
      }
      return Float64Array.from(bound, round);
    };
    this.low = expand(low, 'low');
    this.high = expand(high, 'high');
    for (let i = 0; i < this.size; i++) {
      if (Number.isNaN(this.low[i]) || Number.isNaN(this.high[i]) || this.low[i] > this.high[i]) {
        throw new PolicygradError(
          `Box: invalid bounds at index ${i}: low=${describeValue(this.low[i])}, high=${describeValue(this.high[i])}; expected low <= high`,
        );
      }
    }
  }

  /** Whether every element has finite bounds on both sides. */
  isBounded(): boolean {
    for (let i = 0; i < this.size; i++) {
      if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) return false;
    }
    return true;
  }

  /** A zero-filled value of this space's array type. */
  zeros(): T {
    return (this.dtype === 'float32' ? new Float32Array(this.size) : new Float64Array(this.size)) as T;
  }

  /**
   * Gymnasium's sampling: uniform on bounded elements, a unit normal on unbounded ones, and a shifted unit
   * exponential on elements bounded on one side only.
   */
  sample(rng: Rng): T {
    const out = this.zeros();
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      if (loFinite && hiFinite) out[i] = rng.uniform(lo, hi);
      else if (loFinite) out[i] = lo - Math.log(1 - rng.uniform());
      else if (hiFinite) out[i] = hi + Math.log(1 - rng.uniform());
      else out[i] = rng.normal();
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumberArrayLike(x) || x.length !== this.size) return false;
    if (this.dtype === 'float32' && !(Array.isArray(x) || x instanceof Float32Array)) return false;
    if (!Array.isArray(x) && !(x instanceof Float32Array || x instanceof Float64Array)) return false;
    for (let i = 0; i < this.size; i++) {
      const v = this.dtype === 'float32' ? Math.fround(x[i]) : x[i];
      if (!(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  toJSON(): SpaceJSON {
    return {
      type: 'Box',
      shape: [...this.shape],
      dtype: this.dtype,
      low: Array.from(this.low, numberToJSON),
      high: Array.from(this.high, numberToJSON),
    };
  }

  toString(): string {
    const bound = (b: Float64Array) =>
      b.every((v) => v === b[0]) ? String(b[0] ?? 0) : `[${Array.from(b).join(', ')}]`;
    return `Box(${bound(this.low)}, ${bound(this.high)}, (${this.shape.join(', ')}${this.shape.length === 1 ? ',' : ''}), ${this.dtype})`;
  }
}

export class MultiDiscrete implements Space<Int32Array> {
  readonly type = 'MultiDiscrete' as const;
  readonly shape: readonly number[];
  readonly dtype = 'int32' as const;
  readonly nvec: readonly number[];
  readonly start: readonly number[];

  constructor(nvec: readonly number[], start?: readonly number[]) {
    if (!Array.isArray(nvec) || nvec.length === 0 || nvec.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
      throw new PolicygradError(
        `MultiDiscrete: invalid nvec ${describeValue(nvec)}: expected positive integers`,
      );
    }
    const starts = start ?? nvec.map(() => 0);
    if (starts.length !== nvec.length || starts.some((s) => !Number.isSafeInteger(s))) {
      throw new PolicygradError(
        `MultiDiscrete: invalid start ${describeValue(start)}: expected ${nvec.length} integers`,
      );
    }
    this.nvec = [...nvec];
    this.start = [...starts];
    this.shape = [nvec.length];
  }

  sample(rng: Rng): Int32Array {
    return Int32Array.from(this.nvec, (n, i) => this.start[i] + rng.integer(0, n));
  }

  contains(x: unknown): boolean {
    if (!isNumberArrayLike(x) || x.length !== this.nvec.length) return false;
    if (x instanceof Float32Array || x instanceof Float64Array) return false;
    for (let i = 0; i < this.nvec.length; i++) {
      const v = x[i];
      if (!Number.isInteger(v) || v < this.start[i] || v >= this.start[i] + this.nvec[i]) return false;
    }
    return true;
  }

  toJSON(): SpaceJSON {
    return { type: 'MultiDiscrete', nvec: [...this.nvec], start: [...this.start] };
  }

  toString(): string {
    return `MultiDiscrete([${this.nvec.join(', ')}])`;
  }
}

export class MultiBinary implements Space<Int8Array> {
  readonly type = 'MultiBinary' as const;
  readonly shape: readonly number[];
  readonly dtype = 'int8' as const;

  constructor(readonly n: number) {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new PolicygradError(`MultiBinary: invalid n ${describeValue(n)}: expected a positive integer`);
    }
    this.shape = [n];
  }

  sample(rng: Rng): Int8Array {
    const out = new Int8Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = rng.integer(0, 2);
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumberArrayLike(x) || x.length !== this.n) return false;
    if (x instanceof Float32Array || x instanceof Float64Array) return false;
    for (let i = 0; i < this.n; i++) if (x[i] !== 0 && x[i] !== 1) return false;
    return true;
  }

  toJSON(): SpaceJSON {
    return { type: 'MultiBinary', n: this.n };
  }

  toString(): string {
    return `MultiBinary(${this.n})`;
  }
}

export class Dict implements Space<DictValue> {
  readonly type = 'Dict' as const;
  readonly shape: readonly number[] = [];
  readonly dtype = null;
  /** Sub-spaces in sorted key order (Gymnasium sorts the keys of a plain dict). */
  readonly spaces: Readonly<Record<string, Space>>;
  readonly keys: readonly string[];

  constructor(spaces: Record<string, Space>) {
    const keys = Object.keys(spaces).sort();
    if (keys.length === 0) throw new PolicygradError('Dict: needs at least one sub-space');
    const sorted: Record<string, Space> = {};
    for (const key of keys) {
      const sub = spaces[key];
      if (!isSpace(sub)) {
        throw new PolicygradError(`Dict: entry '${key}' is ${describeValue(sub)}, not a space`);
      }
      if (sub.type === 'Dict') {
        throw new PolicygradError(`Dict: entry '${key}' is a Dict; only one level of Dict is supported`);
      }
      sorted[key] = sub;
    }
    this.spaces = sorted;
    this.keys = keys;
  }

  sample(rng: Rng): DictValue {
    const out: DictValue = {};
    for (const key of this.keys) out[key] = this.spaces[key].sample(rng);
    return out;
  }

  contains(x: unknown): boolean {
    if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
    const value = x as DictValue;
    const valueKeys = Object.keys(value);
    if (valueKeys.length !== this.keys.length) return false;
    return this.keys.every((key) => key in value && this.spaces[key].contains(value[key]));
  }

  toJSON(): SpaceJSON {
    const spaces: Record<string, SpaceJSON> = {};
    for (const key of this.keys) spaces[key] = this.spaces[key].toJSON();
    return { type: 'Dict', spaces };
  }

  toString(): string {
    return `Dict(${this.keys.map((k) => `'${k}': ${this.spaces[k].toString()}`).join(', ')})`;
  }
}

export function isSpace(x: unknown): x is Space {
  return (
    x instanceof Discrete ||
    x instanceof Box ||
    x instanceof MultiDiscrete ||
    x instanceof MultiBinary ||
    x instanceof Dict
  );
}

function numberToJSON(v: number): number | string {
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  return v;
}

function numberFromJSON(v: number | string): number {
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v !== 'number') throw new PolicygradError(`space JSON: invalid bound ${describeValue(v)}`);
  return v;
}

/** Rebuilds a space from its `toJSON()` description. */
export function spaceFromJSON(json: SpaceJSON): Space {
  switch (json?.type) {
    case 'Discrete':
      return new Discrete(json.n, json.start ?? 0);
    case 'Box':
      return new Box({
        low: json.low.map(numberFromJSON),
        high: json.high.map(numberFromJSON),
        shape: json.shape,
        dtype: json.dtype,
      });
    case 'MultiDiscrete':
      return new MultiDiscrete(json.nvec, json.start);
    case 'MultiBinary':
      return new MultiBinary(json.n);
    case 'Dict': {
      const spaces: Record<string, Space> = {};
      for (const [key, sub] of Object.entries(json.spaces)) spaces[key] = spaceFromJSON(sub);
      return new Dict(spaces);
    }
    default:
      throw new PolicygradError(
        `space JSON: unknown type ${describeValue((json as { type?: unknown })?.type)}: expected Discrete, Box, MultiDiscrete, MultiBinary or Dict`,
      );
  }
}
