/**
 * Ports: what the browser-safe core needs from its platform, passed in explicitly (ARCHITECTURE.md § "The
 * platform line"). The core never installs or looks up a platform service itself; Node's entry provides
 * `nodePorts`, a browser page passes what it has (usually nothing).
 */
import type { AsyncVectorEnvFactory } from '../envs/vector.js';
import type { ActorCriticPolicy } from '../policies/actor-critic.js';
import type { CriticThread } from '../policies/critic-thread.js';
import type { FileStorage } from './persistence.js';
import type { ThreadedAlgorithm } from './registry.js';
import type { SeedThreads } from './seeds.js';

export interface Ports {
  /** Files for `save`/`load` (Node: `nodeFileStorage`). Without it, `save` and `load` throw one line. */
  storage?: FileStorage;
  /** Builds `vectorEnv: 'async'` vector envs on worker threads (Node: `AsyncVectorEnv`). */
  asyncVectorEnv?: AsyncVectorEnvFactory;
  /** Starts A3C's coordinator, whose workers are threads (Node: `nodeA3CThreads`, src/node/a3c.ts). */
  threads?: (config: Record<string, unknown>) => ThreadedAlgorithm;
  /** Trains several seeds' runs at once on worker threads, for `learnSeeds` (Node: `nodeSeedThreads`). */
  seeds?: SeedThreads;
  /** Runs the critic's half of each minibatch on a second thread (Node: `nodeUpdateThreads`, src/node/critic-thread.ts). */
  updateThreads?: UpdateThreadPort;
}

/** A second thread for the update of a policy with separate networks (policies/critic-thread.ts). */
export interface UpdateThreadPort {
  /** The machine's cores: `threads: 'auto'` uses two from two. */
  cores(): number;
  /** A critic thread sharing the policy's parameters, or why there is none (one short phrase); `requested` as given. */
  start(policy: ActorCriticPolicy, requested: 2 | 'auto'): (CriticThread & { close(): void }) | string;
}
