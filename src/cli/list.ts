/** `policygrad list envs|algos|presets`. */
import { ALGORITHMS } from '../algos/registry.js';
import { getRegistration, listEnvs } from '../envs/registry.js';
import { listPresets, presetTimesteps } from '../algos/presets.js';
import { PolicygradError } from '../errors.js';

/** The algorithms outside the core's registry (their actors run on threads or other processes). */
const NODE_ALGORITHMS = {
  impala: { description: 'IMPALA: V-trace actor-critic, actors on threads or machines (Redis)' },
  appo: { description: 'asynchronous PPO on V-trace advantages, actors on threads or machines (Redis)' },
};

export function runList(what: string): string[] {
  if (what === 'envs') {
    return listEnvs().map((id) => {
      const r = getRegistration(id);
      const limit = r?.maxEpisodeSteps === undefined ? null : `${r.maxEpisodeSteps} steps`;
      // A user's own env may have no description.
      return `${id.padEnd(26)} ${[r?.description, limit].filter(Boolean).join(', ')}`.trimEnd();
    });
  }
  if (what === 'algos') {
    return [...Object.entries(ALGORITHMS), ...Object.entries(NODE_ALGORITHMS)].map(
      ([name, a]) => `${name.padEnd(10)} ${a.description}`,
    );
  }
  if (what === 'presets') {
    return [...Object.keys(ALGORITHMS), ...Object.keys(NODE_ALGORITHMS)].flatMap((algo) =>
      listEnvs().flatMap((env) =>
        listPresets(algo, env).map(
          (p) =>
            `${algo.padEnd(10)} ${env.padEnd(26)} ${p} (${(presetTimesteps(algo, env, p) ?? 0).toLocaleString('en-US')} steps)`,
        ),
      ),
    );
  }
  throw new PolicygradError(`list: unknown topic '${what}': expected envs, algos or presets`);
}
