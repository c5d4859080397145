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

/** A statistics.json pair, with its 1,000 returns (rounded to 1e-4) and lengths when a KS test needs them. */
const summary = (v, withSamples) => ({
  env_id: v.env_id,
  make_kwargs: v.make_kwargs,
  policy: v.policy,
  seeds: v.seeds,
  episodes: v.episodes,
  return_mean: v.return.mean,
  return_std: v.return.std,
  length_mean: v.length.mean,
  end_branch_counts: v.end_branch_counts,
  ...(withSamples ? { returns: v.returns.map((r) => Math.round(r * 1e4) / 1e4), lengths: v.lengths } : {}),
});
// The Kolmogorov–Smirnov tests need the samples of the random policy (LunarLander: without wind).
const variants = read('statistics.json')
  .variants.filter((v) => v.env_id.startsWith('LunarLander'))
  .map((v) => summary(v, v.policy === 'uniform_random' && !v.make_kwargs.enable_wind));
writeFileSync(
  join(target, 'lunar-lander-statistics.json'),
  JSON.stringify({
    source: 'Gymnasium 1.3.0 statistics.json (LunarLander pairs; returns rounded to 1e-4)',
    variants,
  }),
);
console.log(`wrote ${episodes.length} episodes and ${variants.length} statistics pairs to ${target}`);

// BipedalWalker: the episodes and statistics test/box2d-bipedal-walker.test.ts uses.
/** Steps kept per episode: the replay test checks them (pybox2d itself first exceeds 1e-2 at step 39). */
const WALKER_PREFIX = 60;
/** (variant, policy) → seeds kept: every end branch, ×1.5 actions, the heuristic, every hardcore obstacle kind. */
const WALKER_KEEP = {
  normal: { uniform_random: [0, 2, 3], bw_heuristic: [0, 1], gait_a: [0], split_a: [1] },
  hardcore: { uniform_random: [0], bw_heuristic: [0, 1, 2], gait_a: [2] },
};
const walkerEpisodes = [];
for (const [variant, file] of [
  ['normal', 'BipedalWalker-v3.json'],
  ['hardcore', 'BipedalWalker-v3-hardcore.json'],
]) {
  for (const e of read(file).episodes) {
    if (!(WALKER_KEEP[variant][e.policy] ?? []).includes(e.seed)) continue;
    walkerEpisodes.push({
      variant,
      seed: e.seed,
      policy: e.policy,
      action_scale: e.action_scale,
      reward_python_types: e.reward_python_types,
      // [method, args, value]: the call site is implied by the order.
      reset_rng_calls: e.reset_rng_calls.map(([, method, args, value]) => [method, args, value]),
      terrain_y: e.terrain.terrain_y,
      obstacles: e.terrain.obstacles,
      reset_observation: e.reset_observation,
      reset_shaping: e.reset_shaping,
      reset_bodies: e.reset_state.bodies,
      num_steps: e.num_steps,
      end_branch: e.end_branch,
      ret: e.return,
      actions: e.actions.slice(0, WALKER_PREFIX),
      observations: e.observations.slice(0, WALKER_PREFIX),
      rewards: e.rewards.slice(0, WALKER_PREFIX),
    });
  }
}
const divergence = read('divergence.json')
  .variants.filter((v) => v.env_id.startsWith('BipedalWalker'))
  .map((v) => ({ make_kwargs: v.make_kwargs, policy: v.policy, summary: v.summary }));
writeFileSync(
  join(target, 'bipedal-walker-episodes.json'),
  JSON.stringify({
    source:
      'Gymnasium 1.3.0 + pybox2d 2.3.10 recordings (../shared/fixtures/box2d: BipedalWalker-v3.json, BipedalWalker-v3-hardcore.json, divergence.json), trimmed by scripts/trim-box2d-fixtures.mjs',
    episodes: walkerEpisodes,
    divergence,
  }),
);
const walkerVariants = read('statistics.json')
  .variants.filter((v) => v.env_id.startsWith('BipedalWalker'))
  .map((v) => summary(v, v.policy === 'uniform_random'));
writeFileSync(
  join(target, 'bipedal-walker-statistics.json'),
  JSON.stringify({
    source: 'Gymnasium 1.3.0 statistics.json (BipedalWalker pairs; returns rounded to 1e-4)',
    variants: walkerVariants,
  }),
);
console.log(
  `wrote ${walkerEpisodes.length} episodes and ${walkerVariants.length} statistics pairs (BipedalWalker)`,
);
