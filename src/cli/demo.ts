/** `policygrad demo`: a random policy on an environment, printing each episode's return and length. */
import { make, RecordEpisodeStatistics, Rng } from '../node.js';

export interface DemoOptions {
  env: string;
  episodes: number;
  seed: number;
}

export function runDemo({ env: id, episodes, seed }: DemoOptions, print: (line: string) => void): number[] {
  const env = new RecordEpisodeStatistics(make(id));
  const policyRng = Rng.fromSeed(seed, 1);
  const returns: number[] = [];
  print(`${id}: random policy, ${episodes} episode(s), seed ${seed}`);
  for (let episode = 0; episode < episodes; episode++) {
    env.reset({ seed: episode === 0 ? seed : undefined });
    for (;;) {
      const { terminated, truncated, info } = env.step(env.actionSpace.sample(policyRng));
      if (terminated || truncated) {
        const stats = info.episode as { r: number; l: number };
        returns.push(stats.r);
        print(
          `episode ${episode + 1}: return ${stats.r.toFixed(2)}, length ${stats.l}${truncated ? ' (truncated)' : ''}`,
        );
        break;
      }
    }
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  print(`mean return ${mean.toFixed(2)} over ${returns.length} episode(s)`);
  env.close();
  return returns;
}
