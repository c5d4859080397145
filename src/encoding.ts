/** Exact, compact text encodings of typed arrays for JSON files (policy files, checkpoints), browser-safe. */
import { describeValue, PolicygradError } from './errors.js';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_CODES = Uint8Array.from(BASE64_ALPHABET, (c) => c.charCodeAt(0));
const PADDING = '='.charCodeAt(0);
const ASCII = new TextDecoder();

/**
 * Standard base64 with padding (btoa's output). Written out rather than through btoa, whose input must first be
 * built as a binary string: that took ~3 ms for an optimizer's 73 kB of moments, this ~0.3 ms (checkpoints of a
 * sweep's trials are encoded every few seconds).
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  const whole = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3, o += 4) {
    const t = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o] = BASE64_CODES[t >>> 18];
    out[o + 1] = BASE64_CODES[(t >>> 12) & 63];
    out[o + 2] = BASE64_CODES[(t >>> 6) & 63];
    out[o + 3] = BASE64_CODES[t & 63];
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const t = (bytes[whole] << 16) | (rest === 2 ? bytes[whole + 1] << 8 : 0);
    out[o] = BASE64_CODES[t >>> 18];
    out[o + 1] = BASE64_CODES[(t >>> 12) & 63];
    out[o + 2] = rest === 2 ? BASE64_CODES[(t >>> 6) & 63] : PADDING;
    out[o + 3] = PADDING;
  }
  return ASCII.decode(out);
}

export function base64ToBytes(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new PolicygradError('invalid base64 data');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** How many bytes a base64 text holds (without decoding it; padding counted out). */
export function base64Length(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

/** The bytes of a float array (float32 or float64) in base64: the values round-trip bit for bit. */
export function encodeFloats(array: Float32Array | Float64Array): string {
  return bytesToBase64(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

/** Decodes `encodeFloats` output into `target` (same type and length), or throws naming `what`. */
export function decodeFloatsInto(text: unknown, target: Float32Array | Float64Array, what: string): void {
  const bytes = typeof text === 'string' ? base64ToBytes(text) : null;
  if (bytes === null || bytes.byteLength !== target.byteLength) {
    throw new PolicygradError(
      `${what}: expected ${target.length} ${target instanceof Float32Array ? 'float32' : 'float64'} values, got ${bytes === null ? 'no data' : `${bytes.byteLength} bytes`}`,
    );
  }
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
}

/** A float array in a JSON document (checkpoints from version 3): its element type and its bytes in base64. */
export interface EncodedFloats {
  dtype: 'float32' | 'float64';
  data: string;
}

/** `array` as `EncodedFloats`: bit-exact, ~10.7 characters per float64 value against ~19 as a JSON number. */
export function encodeFloatArray(array: Float32Array | Float64Array): EncodedFloats {
  return { dtype: array instanceof Float32Array ? 'float32' : 'float64', data: encodeFloats(array) };
}

/**
 * Copies a stored float array into `target`: `EncodedFloats` of target's element type and length, or (files
 * written before it) a plain array of as many numbers; finite values only (bytes can carry NaN and ±Infinity,
 * which JSON numbers could not), none negative with `nonNegative` (variances, second moments). Anything else is
 * one line naming `what`, and `target` is left as it was.
 */
export function readFloatArrayInto(
  value: unknown,
  target: Float32Array | Float64Array,
  what: string,
  { nonNegative = false }: { nonNegative?: boolean } = {},
): void {
  const dtype = target instanceof Float32Array ? 'float32' : 'float64';
  if (Array.isArray(value)) {
    if (value.length !== target.length || !value.every((v) => typeof v === 'number')) {
      throw new PolicygradError(
        `${what}: expected ${target.length} numbers, got ${value.length} values${value.every((v) => typeof v === 'number') ? '' : ' (not all numbers)'}`,
      );
    }
    checkValues(value as number[], what, nonNegative);
    target.set(value as number[]);
    return;
  }
  const encoded = value as Partial<EncodedFloats> | null;
  if (encoded === null || typeof encoded !== 'object' || typeof encoded.data !== 'string') {
    throw new PolicygradError(
      `${what}: expected { dtype: '${dtype}', data: base64 } or an array of numbers, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (encoded.dtype !== dtype) {
    throw new PolicygradError(`${what}: dtype ${describeValue(encoded.dtype)}: expected '${dtype}'`);
  }
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(encoded.data);
  } catch {
    throw new PolicygradError(`${what}: its data is not valid base64`);
  }
  if (bytes.byteLength !== target.byteLength) {
    throw new PolicygradError(
      `${what}: expected ${target.length} ${dtype} values (${target.byteLength} bytes), got ${bytes.byteLength} bytes`,
    );
  }
  const aligned = bytes.slice().buffer; // a fresh buffer: aligned for the typed view
  checkValues(dtype === 'float32' ? new Float32Array(aligned) : new Float64Array(aligned), what, nonNegative);
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
}

function checkValues(values: ArrayLike<number>, what: string, nonNegative: boolean): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || (nonNegative && v < 0)) {
      throw new PolicygradError(
        `${what}: value ${i} is ${v}: expected ${nonNegative ? 'finite numbers ≥ 0' : 'finite numbers'}`,
      );
    }
  }
}
