/**
 * `nodePorts`: what the browser-safe core needs from Node (ARCHITECTURE.md § "The platform line"), as one value
 * passed explicitly — files for `save`/`load`, worker-thread vector envs for `vectorEnv: 'async'`, A3C's
 * coordinator and several seeds' runs (`learnSeeds`) on worker threads, and the critic's thread of a two-thread
 * update. Nothing is
 * installed anywhere on import; the Node entry's algorithm classes (./algorithms.ts) take these by default.
 */
import type { Ports } from '../algos/ports.js';
import { nodeA3CThreads } from './a3c.js';
import { AsyncVectorEnv } from './async-vector-env.js';
import { nodeUpdateThreads } from './critic-thread.js';
import { nodeSeedThreads } from './seed-threads.js';
import { nodeFileStorage } from './storage.js';

// Frozen: replacing `nodePorts.storage` would be a process-wide setting again.
export const nodePorts: Readonly<Ports> = Object.freeze<Ports>({
  storage: nodeFileStorage,
  asyncVectorEnv: (id, numEnvs, options, { envModules }) =>
    new AsyncVectorEnv(id, numEnvs, options, { copy: false, envModules }),
  threads: nodeA3CThreads,
  seeds: nodeSeedThreads,
  updateThreads: nodeUpdateThreads,
});
