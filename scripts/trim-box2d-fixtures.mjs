// Writes test/fixtures/box2d/*.json from the full Gymnasium recordings in ../shared/fixtures/box2d (see
// test/fixtures/box2d/README.md): the episodes and statistics the LunarLander tests use, values unchanged.
// Usage: node scripts/trim-box2d-fixtures.mjs [source-dir]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? join(here, '..', '..', 'shared', 'fixtures', 'box2d');
const target = join(here, '..', 'test', 'fixtures', 'box2d');
const read = (name) => JSON.parse(readFileSync(join(source, name), 'utf8'));

/** Observations and rewards kept per episode: the replay test checks 60 steps (pybox2d's own minimum is 57). */
const PREFIX = 60;
/** (variant, policy) → seeds kept: every end branch, wind, and out-of-bounds continuous actions. */
const KEEP = {
  discrete: { uniform_random: [0, 1, 3], ll_heuristic: [0, 1, 2], ll_hover: [4], ll_drift_left: [0] },
  continuous: { uniform_random: [0, 3], ll_heuristic: [0, 2], ll_drift_right: [0] },
};

const episodes = [];
for (const [variant, file] of [
  ['discrete', 'LunarLander-v3.json'],
  ['continuous', 'LunarLander-v3-continuous.json'],
]) {
  for (const e of read(file).episodes) {
    if (!(KEEP[variant][e.policy] ?? []).includes(e.seed)) continue;
    const firstLegContact = e.observations.findIndex((o) => o[6] || o[7]);
    episodes.push({
      variant,
      seed: e.seed,
      make_kwargs: e.make_kwargs,
      policy: e.policy,
      reset_draws: e.reset_draws,
      chunk_x: e.terrain.chunk_x,
      smooth_y: e.terrain.smooth_y,
      reset_observation: e.reset_observation,
      reset_shaping: e.reset_shaping,
      reset_bodies: e.reset_state.bodies,
      num_steps: e.num_steps,
      end_branch: e.end_branch,
      ret: e.return,
      first_leg_contact: firstLegContact < 0 ? null : firstLegContact,
      actions: e.actions,
      dispersion_draws: e.dispersion_draws,
      observations: e.observations.slice(0, PREFIX),
      rewards: e.rewards.slice(0, PREFIX),
    });
  }
}
writeFileSync(
  join(target, 'lunar-lander-episodes.json'),
  JSON.stringify({
    source:
      'Gymnasium 1.3.0 + pybox2d 2.3.10 recordings (../shared/fixtures/box2d: LunarLander-v3.json, LunarLander-v3-continuous.json), trimmed by scripts/trim-box2d-fixtures.mjs',
    episodes,
  }),
);

const variants = read('statistics.json')
  .variants.filter((v) => v.env_id.startsWith('LunarLander'))
  .map((v) => ({
    env_id: v.env_id,
    make_kwargs: v.make_kwargs,
    policy: v.policy,
    seeds: v.seeds,
    episodes: v.episodes,
    return_mean: v.return.mean,
    return_std: v.return.std,
    length_mean: v.length.mean,
    end_branch_counts: v.end_branch_counts,
    // The Kolmogorov–Smirnov tests need the samples of the random policy without wind.
    ...(v.policy === 'uniform_random' && !v.make_kwargs.enable_wind
      ? { returns: v.returns.map((r) => Math.round(r * 1e4) / 1e4), lengths: v.lengths }
      : {}),
  }));
writeFileSync(
  join(target, 'lunar-lander-statistics.json'),
  JSON.stringify({
    source: 'Gymnasium 1.3.0 statistics.json (LunarLander pairs; returns rounded to 1e-4)',
    variants,
  }),
);
console.log(`wrote ${episodes.length} episodes and ${variants.length} statistics pairs to ${target}`);
