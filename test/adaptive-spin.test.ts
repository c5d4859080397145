/**
 * The critic thread's spin before it sleeps (src/node/adaptive-spin.ts): it follows the gaps between requests, so
 * the requests of an update find the thread spinning rather than asleep (a futex wake each), and it recovers from a
 * spin near zero — the rule before could not (96 % of a CleanRL PPO run's requests found the thread asleep).
 */
import { describe, expect, it } from 'vitest';
import { AdaptiveSpin } from '../src/node/adaptive-spin.js';

describe('AdaptiveSpin', () => {
  it('halves over long gaps (rollouts, a busy machine) and covers twice a short gap at once', () => {
    const spin = new AdaptiveSpin(200);
    for (let k = 0; k < 12; k++) spin.observe(5000);
    expect(spin.micros).toBeLessThan(0.1); // near zero after a long quiet stretch
    spin.observe(40); // the first request of an update came 40 µs after the last one
    expect(spin.micros).toBe(80);
  });

  it('short gaps never lower it, so gaps that alternate short and long stay covered', () => {
    const spin = new AdaptiveSpin(200);
    spin.observe(5000);
    spin.observe(5000);
    expect(spin.micros).toBe(50);
    for (const gap of [60, 3, 60, 2, 60, 4]) {
      spin.observe(gap);
      expect(spin.micros).toBe(120); // the longer gap's cover, kept through the short ones
    }
  });

  it('never spins past its limit', () => {
    const spin = new AdaptiveSpin(200);
    spin.observe(150);
    expect(spin.micros).toBe(200);
    spin.observe(200);
    expect(spin.micros).toBe(200);
    spin.observe(201);
    expect(spin.micros).toBe(100);
  });
});
