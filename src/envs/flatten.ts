/**
 * Flattening any space into a float32 vector, as Gymnasium's `spaces.utils.flatten`: a Discrete value becomes a
 * one-hot vector, a MultiDiscrete value concatenated one-hots, Box and MultiBinary values their elements, and a
 * Dict value the concatenation of its entries in key order.
 */
import { PolicygradError } from '../errors.js';
import { Box, Dict, type DictValue, Discrete, MultiBinary, MultiDiscrete, type Space } from './spaces.js';

/** Length of the flattened vector of an element of `space`. */
export function flatdim(space: Space): number {
  if (space instanceof Discrete || space instanceof MultiBinary) return space.n;
  if (space instanceof Box) return space.size;
  if (space instanceof MultiDiscrete) return space.nvec.reduce((a, b) => a + b, 0);
  if (space instanceof Dict) return space.keys.reduce((sum, key) => sum + flatdim(space.spaces[key]), 0);
  throw new PolicygradError(`cannot flatten ${String(space)}: not a known space`);
}

/** Writes the flattened `value` into `out` starting at `offset`; returns the offset after it. */
export function flattenInto(space: Space, value: unknown, out: Float32Array, offset = 0): number {
  if (space instanceof Discrete) {
    out.fill(0, offset, offset + space.n);
    out[offset + (value as number) - space.start] = 1;
    return offset + space.n;
  }
  if (space instanceof MultiDiscrete) {
    const v = value as ArrayLike<number>;
    let o = offset;
    for (let i = 0; i < space.nvec.length; i++) {
      out.fill(0, o, o + space.nvec[i]);
      out[o + v[i] - space.start[i]] = 1;
      o += space.nvec[i];
    }
    return o;
  }
  if (space instanceof Dict) {
    let o = offset;
    for (const key of space.keys) o = flattenInto(space.spaces[key], (value as DictValue)[key], out, o);
    return o;
  }
  const v = value as ArrayLike<number>; // Box, MultiBinary: the elements themselves
  for (let i = 0; i < v.length; i++) out[offset + i] = v[i];
  return offset + v.length;
}

/** The flattened `value` as a new Float32Array. */
export function flatten(space: Space, value: unknown): Float32Array {
  const out = new Float32Array(flatdim(space));
  flattenInto(space, value, out);
  return out;
}

/** The float32 Box that flattened elements of `space` live in. */
export function flattenSpace(space: Space): Box<Float32Array> {
  const low: number[] = [];
  const high: number[] = [];
  collectBounds(space, low, high);
  if (low.length === 0) throw new PolicygradError(`cannot flatten ${space.toString()}: it has no elements`);
  return new Box<Float32Array>({ low, high, dtype: 'float32' });
}

function collectBounds(space: Space, low: number[], high: number[]): void {
  if (space instanceof Box) {
    low.push(...space.low);
    high.push(...space.high);
  } else if (space instanceof Dict) {
    for (const key of space.keys) collectBounds(space.spaces[key], low, high);
  } else {
    const n = flatdim(space);
    for (let i = 0; i < n; i++) {
      low.push(0);
      high.push(1);
    }
  }
}
