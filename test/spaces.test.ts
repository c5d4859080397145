import { describe, expect, it } from 'vitest';
import {
  Box,
  Dict,
  Discrete,
  flatdim,
  flatten,
  flattenSpace,
  MultiBinary,
  MultiDiscrete,
  Rng,
  type Space,
  spaceFromJSON,
} from '../src/internal.js';

const rng = () => Rng.fromSeed(0);

describe('Discrete', () => {
  it('samples integers in [start, start + n) and contains exactly those', () => {
    const space = new Discrete(3, 2);
    const r = rng();
    const samples = new Set(Array.from({ length: 200 }, () => space.sample(r)));
    expect([...samples].sort()).toEqual([2, 3, 4]);
    expect(space.contains(2)).toBe(true);
    expect(space.contains(5)).toBe(false);
    expect(space.contains(1)).toBe(false);
    expect(space.contains(2.5)).toBe(false);
    expect(space.contains('2')).toBe(false);
    expect(space.shape).toEqual([]);
    expect(space.dtype).toBe('int64');
    expect(space.toString()).toBe('Discrete(3, start=2)');
    expect(() => new Discrete(0)).toThrow(/invalid n 0: expected a positive integer/);
  });
});

describe('Box', () => {
  it('rounds bounds to float32, samples within them, and checks shape, dtype and bounds', () => {
    const space = new Box({ low: -1, high: [1, 2, 0.1], shape: [3] });
    expect(space.high[2]).toBe(Math.fround(0.1));
    const r = rng();
    for (let i = 0; i < 100; i++) {
      const x = space.sample(r);
      expect(x).toBeInstanceOf(Float32Array);
      expect(space.contains(x)).toBe(true);
    }
    expect(space.contains([0, 0, 0])).toBe(true);
    expect(space.contains(Float32Array.of(0, 0))).toBe(false); // wrong length
    expect(space.contains(Float32Array.of(0, 3, 0))).toBe(false); // above high
    expect(space.contains(Float32Array.of(0, Number.NaN, 0))).toBe(false);
    expect(space.contains(Float64Array.of(0, 0, 0))).toBe(false); // float64 does not cast safely to float32
    expect(space.toString()).toBe('Box(-1, [1, 2, 0.10000000149011612], (3,), float32)');
  });

  it('samples unbounded and half-bounded elements as Gymnasium does (normal, shifted exponential)', () => {
    const space = new Box({
      low: [-Infinity, 0, -Infinity],
      high: [Infinity, Infinity, 5],
      dtype: 'float64',
    });
    const r = rng();
    const xs = Array.from({ length: 4000 }, () => space.sample(r));
    expect(xs.every((x) => x instanceof Float64Array && x[1] >= 0 && x[2] <= 5)).toBe(true);
    const mean = (i: number) => xs.reduce((a, x) => a + x[i], 0) / xs.length;
    const se = 1 / Math.sqrt(xs.length); // each of N(0,1), Exp(1) has unit variance
    expect(Math.abs(mean(0))).toBeLessThan(4 * se);
    expect(Math.abs(mean(1) - 1)).toBeLessThan(4 * se);
    expect(Math.abs(mean(2) - 4)).toBeLessThan(4 * se);
    expect(space.isBounded()).toBe(false);
  });

  it('supports multi-dimensional shapes and validates its arguments', () => {
    const space = new Box({ low: 0, high: 1, shape: [2, 3] });
    expect(space.size).toBe(6);
    expect(space.toString()).toBe('Box(0, 1, (2, 3), float32)');
    expect(() => new Box({ low: 1, high: 0, shape: [1] })).toThrow(/expected low <= high/);
    expect(() => new Box({ low: [0, 0], high: [1, 1, 1] })).toThrow(
      /high has 3 elements but shape \[2\] has 2/,
    );
    expect(() => new Box({ low: 0, high: 1 })).toThrow(/give a shape/);
  });
});

describe('MultiDiscrete and MultiBinary', () => {
  it('MultiDiscrete samples each component in its range', () => {
    const space = new MultiDiscrete([2, 5, 3]);
    const r = rng();
    for (let i = 0; i < 100; i++) expect(space.contains(space.sample(r))).toBe(true);
    expect(space.contains([1, 4, 2])).toBe(true);
    expect(space.contains([2, 0, 0])).toBe(false);
    expect(space.contains([0.5, 0, 0])).toBe(false);
    expect(space.contains([0, 0])).toBe(false);
    expect(space.shape).toEqual([3]);
  });

  it('MultiBinary samples 0/1 vectors', () => {
    const space = new MultiBinary(4);
    const x = space.sample(rng());
    expect(x).toBeInstanceOf(Int8Array);
    expect(space.contains(x)).toBe(true);
    expect(space.contains([0, 1, 1, 2])).toBe(false);
  });
});

describe('Dict', () => {
  it('sorts keys, samples each entry, and contains only complete, valid values', () => {
    const space = new Dict({ b: new Discrete(2), a: new Box({ low: 0, high: 1, shape: [2] }) });
    expect(space.keys).toEqual(['a', 'b']);
    const x = space.sample(rng());
    expect(space.contains(x)).toBe(true);
    expect(space.contains({ a: [0.5, 0.5], b: 1 })).toBe(true);
    expect(space.contains({ a: [0.5, 0.5] })).toBe(false);
    expect(space.contains({ a: [0.5, 0.5], b: 2 })).toBe(false);
    expect(space.contains({ a: [0.5, 0.5], b: 1, c: 0 })).toBe(false);
    expect(() => new Dict({ inner: space })).toThrow(/only one level of Dict/);
  });
});

describe('JSON descriptions', () => {
  const spaces: Space[] = [
    new Discrete(4, 1),
    new Box({ low: [-Infinity, 0], high: [Infinity, 1] }),
    new Box({ low: 0, high: 1, shape: [2, 2], dtype: 'float64' }),
    new MultiDiscrete([3, 2]),
    new MultiBinary(3),
    new Dict({ pos: new Box({ low: -1, high: 1, shape: [2] }), flag: new Discrete(2) }),
  ];

  it.each(spaces.map((s) => [s.toString(), s] as const))('%s round-trips through JSON', (_, space) => {
    const json = JSON.parse(JSON.stringify(space.toJSON()));
    const back = spaceFromJSON(json);
    expect(back.toJSON()).toEqual(space.toJSON());
    expect(back.toString()).toBe(space.toString());
  });

  it('writes ±Infinity as strings, as the Gymnasium fixtures do', () => {
    expect(new Box({ low: -Infinity, high: Infinity, shape: [1] }).toJSON()).toEqual({
      type: 'Box',
      shape: [1],
      dtype: 'float32',
      low: ['-Infinity'],
      high: ['Infinity'],
    });
    expect(() => spaceFromJSON({ type: 'Tuple' } as never)).toThrow(/unknown type "Tuple"/);
  });
});

describe('flatten', () => {
  it('one-hot encodes discrete parts and concatenates Dict entries in key order', () => {
    const space = new Dict({
      b: new Discrete(3, 1),
      a: new Box({ low: 0, high: 5, shape: [2] }),
      c: new MultiDiscrete([2, 2]),
    });
    expect(flatdim(space)).toBe(2 + 3 + 4);
    const flat = flatten(space, { a: [1, 2], b: 2, c: [1, 0] });
    expect(Array.from(flat)).toEqual([1, 2, 0, 1, 0, 0, 1, 1, 0]);
    const box = flattenSpace(space);
    expect(Array.from(box.low)).toEqual(new Array(9).fill(0));
    expect(Array.from(box.high)).toEqual([5, 5, 1, 1, 1, 1, 1, 1, 1]);
    expect(box.contains(flat)).toBe(true);
  });
});
