/**
 * Ports: what the browser-safe core needs from its platform, passed in explicitly (ARCHITECTURE.md § "The
 * platform line"). The core never installs or looks up a platform service itself; Node's entry provides
 * `nodePorts`, a browser page passes what it has (usually nothing).
 */
import type { AsyncVectorEnvFactory } from '../envs/vector.js';
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
}
