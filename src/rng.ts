/**
 * Seeded randomness for the whole library: one generator type, passed down explicitly, never `Math.random`.
 *
 * The generator is xoroshiro128+ (Blackman & Vigna, 2016; period 2^128 − 1) from the `pure-rand` package. Its
 * 32-bit seed interface is widened here: a seed (any non-negative safe integer) and an optional spawn key are
 * hashed into the full 128-bit state, like NumPy's `SeedSequence(seed, spawn_key)`, so nearby seeds give
 * unrelated streams. Sub-streams come from `split()` (the xoroshiro jump: 2^64 steps ahead, guaranteed
 * non-overlapping) or from `Rng.fromSeed(seed, ...key)` (hashed derivation, no parent needed).
 *
 * The full state (generator words and the cached spare normal) serialises to JSON with `getState()` and
 * restores exactly with `Rng.fromState()`.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { describeValue, PolicygradError } from './errors.js';

export interface RngState {
  algorithm: 'xoroshiro128+';
  /** The four 32-bit words of the generator state. */
  words: number[];
  /** The second normal of the last polar-method pair, not yet returned (part of the state for exact resume). */
  spareNormal: number | null;
}

const ALGORITHM = 'xoroshiro128+';

export class Rng {
  private spareNormal: number | null = null;

  private constructor(private generator: JumpableRandomGenerator) {}

  /** A generator seeded from `seed` (a non-negative safe integer) and an optional spawn key (sub-stream path). */
  static fromSeed(seed: number, ...spawnKey: number[]): Rng {
    assertSeed(seed, 'seed');
    for (const [i, k] of spawnKey.entries()) assertSeed(k, `spawn key [${i}]`);
    return new Rng(xoroshiro128plusFromState(hashToState([seed, ...spawnKey])));
  }

  /** A generator seeded from the platform's cryptographic entropy (for unseeded resets). */
  static fromEntropy(): Rng {
    const words = new Uint32Array(4);
    globalThis.crypto.getRandomValues(words);
    return new Rng(xoroshiro128plusFromState(nonZeroState(Array.from(words, (w) => w | 0))));
  }

  /** Restores a generator saved with `getState()`; it continues exactly where the saved one was. */
  static fromState(state: RngState): Rng {
    if (state?.algorithm !== ALGORITHM || !Array.isArray(state.words) || state.words.length !== 4) {
      throw new PolicygradError(
        `invalid RNG state ${describeValue(state)}: expected { algorithm: '${ALGORITHM}', words: [4 integers], spareNormal }`,
      );
    }
    const rng = new Rng(xoroshiro128plusFromState(state.words.map((w) => w | 0)));
    rng.spareNormal = state.spareNormal ?? null;
    return rng;
  }

  getState(): RngState {
    return { algorithm: ALGORITHM, words: this.generator.getState().slice(), spareNormal: this.spareNormal };
  }

  /** Puts this generator (in place: every holder of it sees the change) at a state saved with `getState()`. */
  setState(state: RngState): void {
    const restored = Rng.fromState(state);
    this.generator = restored.generator;
    this.spareNormal = restored.spareNormal;
  }

  /** An independent copy at the same position: both produce the same sequence from here. */
  clone(): Rng {
    return Rng.fromState(this.getState());
  }

  /**
   * Splits off an independent sub-stream: the child continues this stream, and this generator jumps 2^64 steps
   * ahead, so the two never overlap in practice. Deterministic: the same parent state always gives the same pair.
   */
  split(): Rng {
    const child = new Rng(this.generator.clone());
    this.generator.jump();
    this.spareNormal = null;
    return child;
  }

  /** A raw 32-bit value as a signed integer. */
  nextInt32(): number {
    return this.generator.next();
  }

  /** Uniform in [low, high), 53 bits of randomness. */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * uniformFloat64(this.generator);
  }

  /** Uniform integer in [low, high) (high exclusive, as NumPy's `integers`). */
  integer(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
      throw new PolicygradError(
        `integer(low, high) needs safe integers with low < high; got low=${describeValue(low)}, high=${describeValue(high)}`,
      );
    }
    return uniformInt(this.generator, low, high - 1);
  }

  /** Normal with the given mean and standard deviation (Marsaglia's polar method, spare value cached). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * uniformFloat64(this.generator) - 1;
      v = 2 * uniformFloat64(this.generator) - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return mean + std * (u * factor);
  }

  /** Fills `out` with uniforms in [low, high). */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** Fills `out` with normals of the given mean and standard deviation. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }
}

function assertSeed(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new PolicygradError(
      `invalid ${what} ${describeValue(value)}: expected a non-negative safe integer`,
    );
  }
}

/** 32-bit finaliser of MurmurHash3: a bijection with full avalanche. */
function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/** Hashes integers (each split into two 32-bit halves) into four well-mixed state words, one lane per word. */
function hashToState(values: number[]): number[] {
  const words: number[] = [];
  for (const v of values) words.push(v >>> 0, Math.floor(v / 2 ** 32) >>> 0);
  const lanes = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344].map((laneSeed) => {
    let h = laneSeed;
    for (const w of words) h = fmix32(Math.imul(h ^ w, 0x9e3779b1) + 0x7f4a7c15);
    return fmix32(h ^ words.length);
  });
  return nonZeroState(lanes);
}

/** xoroshiro128+ must not start from the all-zero state. */
function nonZeroState(words: number[]): number[] {
  return words.every((w) => w === 0) ? [0, 1, 0, 0] : words;
}
