import { describe, expect, it } from 'vitest';
import { Rng } from '../src/index.js';

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.uniform());

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds, including neighbouring ones', () => {
    expect(draws(Rng.fromSeed(42), 5)).toEqual(draws(Rng.fromSeed(42), 5));
    expect(draws(Rng.fromSeed(0), 5)).not.toEqual(draws(Rng.fromSeed(1), 5));
    // Neighbouring seeds must not give correlated first draws (the seed is hashed into the 128-bit state).
    const firsts = Array.from({ length: 1000 }, (_, s) => Rng.fromSeed(s).uniform());
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / 1000));
  });

  it('accepts large safe-integer seeds and rejects invalid ones with a clear message', () => {
    expect(draws(Rng.fromSeed(2 ** 40), 2)).not.toEqual(draws(Rng.fromSeed(2 ** 40 + 1), 2));
    expect(() => Rng.fromSeed(-1)).toThrow(/invalid seed -1: expected a non-negative safe integer/);
    expect(() => Rng.fromSeed(1.5)).toThrow(/invalid seed 1.5/);
    expect(() => Rng.fromSeed(Number.NaN)).toThrow(/invalid seed NaN/);
  });

  it('uniform: in [low, high) with mean and variance of U(low, high) (within 4 standard errors)', () => {
    const rng = Rng.fromSeed(1);
    const n = 20000;
    const xs = Array.from({ length: n }, () => rng.uniform(-2, 3));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(3);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    // Var U(-2, 3) = 25/12; standard error of the mean = sqrt(25/12 / n).
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(25 / 12 / n));
  });

  it('normal: mean and variance of N(mean, std²) (within 4 standard errors)', () => {
    const rng = Rng.fromSeed(2);
    const n = 20000;
    const xs = Array.from({ length: n }, () => rng.normal(1, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * Math.sqrt(4 / n));
    // The sample variance of a normal has standard error σ²·sqrt(2/(n−1)).
    expect(Math.abs(variance - 4)).toBeLessThan(4 * 4 * Math.sqrt(2 / (n - 1)));
  });

  it('integer: every value of [low, high) with equal frequency (chi-square)', () => {
    const rng = Rng.fromSeed(3);
    const counts = new Array(6).fill(0);
    const n = 12000;
    for (let i = 0; i < n; i++) counts[rng.integer(-1, 5) + 1]++;
    const expected = n / 6;
    const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(20.5); // 99.9% quantile of chi-square with 5 degrees of freedom
    expect(() => rng.integer(3, 3)).toThrow(/low < high/);
  });

  it('state serialises to JSON and restores exactly, including the cached spare normal', () => {
    const rng = Rng.fromSeed(9);
    rng.normal(); // leaves a spare normal cached
    const saved = JSON.parse(JSON.stringify(rng.getState()));
    const restored = Rng.fromState(saved);
    const seq = () => [rng.normal(), rng.uniform(), rng.integer(0, 100)];
    const a = seq();
    const b = [restored.normal(), restored.uniform(), restored.integer(0, 100)];
    expect(b).toEqual(a);
    expect(() => Rng.fromState({ algorithm: 'mt19937' } as never)).toThrow(/invalid RNG state/);
  });

  it('split gives a child stream that differs from the parent, deterministically', () => {
    const parent = Rng.fromSeed(5);
    const child = parent.split();
    const again = Rng.fromSeed(5);
    const againChild = again.split();
    expect(draws(child, 4)).toEqual(draws(againChild, 4));
    expect(draws(parent, 4)).toEqual(draws(again, 4));
    const p = Rng.fromSeed(5);
    const c = p.split();
    expect(draws(c, 4)).not.toEqual(draws(p, 4));
  });

  it('derived sub-streams (spawn keys) are deterministic and distinct', () => {
    expect(draws(Rng.fromSeed(7, 1), 3)).toEqual(draws(Rng.fromSeed(7, 1), 3));
    expect(draws(Rng.fromSeed(7, 1), 3)).not.toEqual(draws(Rng.fromSeed(7, 2), 3));
    expect(draws(Rng.fromSeed(7, 1), 3)).not.toEqual(draws(Rng.fromSeed(7), 3));
  });

  it('clone continues identically; fromEntropy gives unseeded streams', () => {
    const rng = Rng.fromSeed(11);
    rng.uniform();
    const copy = rng.clone();
    expect(draws(copy, 3)).toEqual(draws(rng, 3));
    expect(draws(Rng.fromEntropy(), 3)).not.toEqual(draws(Rng.fromEntropy(), 3));
  });
});
