/** What the Box2D fidelity tests share: reading the trimmed fixtures, body states, differences and moments. */
import { readFileSync } from 'node:fs';
import type { Body } from 'planck';
import { type Env, Rng } from '../src/index.js';

export const box2dFixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/box2d/${name}`, import.meta.url), 'utf8'));

/** [origin.x, origin.y, worldCenter.x, worldCenter.y, angle, vx, vy, ω] per body: the fixtures' state layout. */
export function bodyStates(bodies: readonly Body[]): number[][] {
  return bodies.map((b) => [
    b.getPosition().x,
    b.getPosition().y,
    b.getWorldCenter().x,
    b.getWorldCenter().y,
    b.getAngle(),
    b.getLinearVelocity().x,
    b.getLinearVelocity().y,
    b.getAngularVelocity(),
  ]);
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export const variance = (xs: number[]): number => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1);
};

/** A policy for one episode, given that episode's action generator. */
export type EpisodePolicy = (actionRng: Rng) => (observation: Float32Array) => unknown;

/**
 * Runs `episodes` episodes from seed `seed0` as the fixtures did (env seed s, the policy's generator seeded with s,
 * a fresh policy per episode) → returns and lengths.
 */
export function runEpisodes(
  env: Env<Float32Array, unknown>,
  policyFor: EpisodePolicy,
  episodes: number,
  seed0: number,
): { returns: number[]; lengths: number[] } {
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let k = 0; k < episodes; k++) {
    const policy = policyFor(Rng.fromSeed(seed0 + k));
    let { observation } = env.reset({ seed: seed0 + k });
    let total = 0;
    let length = 0;
    for (;;) {
      const result = env.step(policy(observation));
      total += result.reward;
      length += 1;
      observation = result.observation;
      if (result.terminated || result.truncated) break;
    }
    returns.push(total);
    lengths.push(length);
  }
  return { returns, lengths };
}
