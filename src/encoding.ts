/** Exact, compact text encodings of typed arrays for JSON files (policy files, checkpoints), browser-safe. */
import { PolicygradError } from './errors.js';

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
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
