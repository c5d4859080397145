/**
 * The base64 of checkpoints and policy files: our encoder writes exactly what Node's Buffer (standard alphabet,
 * padding) writes, for every length remainder and every byte value, and float arrays round-trip bit for bit
 * (−0, subnormals included); reading a checkpoint's arrays refuses NaN and ±Infinity.
 */
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, encodeFloatArray, readFloatArrayInto, Rng } from '../src/internal.js';

describe('base64', () => {
  it("equals Node's encoding for lengths 0–64 of random bytes and for all 256 byte values", () => {
    const rng = Rng.fromSeed(1);
    for (let length = 0; length <= 64; length++) {
      const bytes = Uint8Array.from({ length }, () => rng.integer(0, 256));
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesToBase64(all)).toBe(Buffer.from(all).toString('base64'));
  });

  it('round-trips float64 and float32 arrays bit for bit', () => {
    const values = [0, -0, 1e-310, -3.4e38, Math.PI, 1e-45];
    const f64 = Float64Array.from(values);
    const back64 = new Float64Array(f64.length);
    readFloatArrayInto(JSON.parse(JSON.stringify(encodeFloatArray(f64))), back64, 'x');
    expect(new Uint8Array(back64.buffer)).toEqual(new Uint8Array(f64.buffer));
    const f32 = Float32Array.from(values);
    const back32 = new Float32Array(f32.length);
    const encoded = encodeFloatArray(f32);
    expect(encoded.dtype).toBe('float32');
    readFloatArrayInto(encoded, back32, 'x');
    expect(new Uint8Array(back32.buffer)).toEqual(new Uint8Array(f32.buffer));
    // The encoding itself keeps NaN payloads bit for bit; reading a checkpoint refuses them (next test).
    const nan = new Float64Array(new BigUint64Array([0x7ff8_0000_dead_beefn]).buffer);
    expect(base64ToBytes(encodeFloatArray(nan).data)).toEqual(new Uint8Array(nan.buffer));
  });

  it('refuses NaN and ±Infinity (bytes can carry them, JSON numbers could not), and negatives where asked', () => {
    const target = Float64Array.from([1, 2, 3]);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const stored = encodeFloatArray(Float64Array.from([0.5, bad, 0.5]));
      expect(() => readFloatArrayInto(stored, target, 'Adam: buffer 1')).toThrow(
        `Adam: buffer 1: value 1 is ${bad}: expected finite numbers`,
      );
    }
    const negative = encodeFloatArray(Float32Array.from([0, -1e-3]));
    expect(() => readFloatArrayInto(negative, new Float32Array(2), 'var', { nonNegative: true })).toThrow(
      /^var: value 1 is -0\.001\d*: expected finite numbers ≥ 0$/,
    );
    expect(() => readFloatArrayInto([0, -2], new Float32Array(2), 'var', { nonNegative: true })).toThrow(
      'var: value 1 is -2: expected finite numbers ≥ 0',
    );
    expect(target).toEqual(Float64Array.from([1, 2, 3])); // left as it was
    readFloatArrayInto(negative, new Float32Array(2), 'mean'); // negatives are fine elsewhere
  });
});
