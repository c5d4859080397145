// Which differences from the references mattered: a preset with one of them put back, seeds 1–10 (the same runs
// as bench:parity). `cleanrl` PPO CartPole-v1 (500k): writes bench/results/runs/ppo-CartPole-v1-cleanrl-<variant>.json;
// TRPO `zoo` (100k) on CartPole-v1, Acrobot-v1, MountainCar-v0 with the critic's Adam ε 1e-8 instead of
// sb3-contrib's 1e-5: writes bench/results/runs/trpo-<env>-zoo-critic-eps-1e-8.json. The tables are in
// docs/parity.md. Usage: npm run bench:parity-ablation [-- --variants sb3-value-loss,bootstrap,critic-eps-1e-8]
import { parseArgs } from 'node:util';
import { firstSeeds, presetBudget, resultFile, runCase, TARGETS } from './lib/learning.mjs';

const PPO_CLEANRL = { algo: 'ppo', preset: 'cleanrl', envs: ['CartPole-v1'] };
const TRPO_ZOO = {
  algo: 'trpo',
  preset: 'zoo',
  envs: ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0'],
};
const VARIANTS = {
  'sb3-value-loss': { ...PPO_CLEANRL, overrides: { valueLoss: 'sb3' } }, // SB3's clamped MSE, truncations still ended
  bootstrap: { ...PPO_CLEANRL, overrides: { truncation: 'bootstrap' } }, // CleanRL's value loss, truncations bootstrapped
  'critic-eps-1e-8': { ...TRPO_ZOO, overrides: { adamEpsilon: 1e-8 } }, // Adam's usual ε for the TRPO critic
};
const { values: args } = parseArgs({
  options: { variants: { type: 'string', default: Object.keys(VARIANTS).join(',') } },
});
for (const variant of args.variants.split(',')) {
  const { algo, preset, envs, overrides } = VARIANTS[variant];
  for (const env of envs) {
    runCase({
      algo,
      env,
      preset,
      overrides,
      seeds: firstSeeds(10),
      budget: presetBudget(algo, env, preset),
      threshold: TARGETS[env].threshold,
      file: resultFile(algo, env, preset, variant),
    });
  }
}
