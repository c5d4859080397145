/**
 * `policygrad demo`: a random policy (or the env's own heuristic controller, as Gymnasium ships for LunarLander and
 * BipedalWalker) on
 * an environment, printing each episode's return and length, or, with `json`, `{"returns": [...], "lengths":
 * [...]}` so the distributions can be compared with Gymnasium's.
 */
import { heuristicPolicy } from '../envs/box2d/heuristic.js';
import { make } from '../envs/registry.js';
import { PolicygradError } from '../errors.js';
import { RecordEpisodeStatistics } from '../envs/wrappers.js';
import { Rng } from '../rng.js';

export const DEMO_POLICIES = ['random', 'heuristic'] as const;
export type DemoPolicy = (typeof DEMO_POLICIES)[number];

export interface DemoOptions {
  env: string;
  episodes: number;
  seed: number;
  policy?: DemoPolicy;
  json?: boolean;
}

export interface DemoResult {
  returns: number[];
  lengths: number[];
}

export function runDemo(
  { env: id, episodes, seed, policy = 'random', json = false }: DemoOptions,
  print: (line: string) => void,
): DemoResult {
  if (!(DEMO_POLICIES as readonly string[]).includes(policy)) {
    throw new PolicygradError(`demo: invalid --policy '${policy}': expected ${DEMO_POLICIES.join(' or ')}`);
  }
  const env = new RecordEpisodeStatistics(make(id));
  if (policy === 'heuristic' && heuristicPolicy(env) === undefined) {
    env.close();
    throw new PolicygradError(
      `demo: ${id} has no heuristic controller (the LunarLander and BipedalWalker envs have one); use --policy random`,
    );
  }
  const policyRng = Rng.fromSeed(seed, 1);
  const result: DemoResult = { returns: [], lengths: [] };
  if (!json) print(`${id}: ${policy} policy, ${episodes} episode(s), seed ${seed}`);
  for (let episode = 0; episode < episodes; episode++) {
    let { observation } = env.reset({ seed: episode === 0 ? seed : undefined });
    // A fresh controller per episode: BipedalWalker's keeps its gait phase between steps.
    const heuristic = policy === 'heuristic' ? heuristicPolicy(env) : undefined;
    for (;;) {
      const action =
        heuristic === undefined
          ? env.actionSpace.sample(policyRng)
          : heuristic(observation as ArrayLike<number>);
      const step = env.step(action);
      observation = step.observation;
      if (step.terminated || step.truncated) {
        const stats = step.info.episode as { r: number; l: number };
        result.returns.push(stats.r);
        result.lengths.push(stats.l);
        if (!json) {
          print(
            `episode ${episode + 1}: return ${stats.r.toFixed(2)}, length ${stats.l}${step.truncated ? ' (truncated)' : ''}`,
          );
        }
        break;
      }
    }
  }
  env.close();
  if (json) {
    print(JSON.stringify(result));
  } else {
    const mean = result.returns.reduce((a, b) => a + b, 0) / result.returns.length;
    print(`mean return ${mean.toFixed(2)} over ${result.returns.length} episode(s)`);
  }
  return result;
}
