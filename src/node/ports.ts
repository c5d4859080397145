/**
 * `nodePorts`: what the browser-safe core needs from Node (ARCHITECTURE.md § "The platform line"), as one value
 * passed explicitly — files for `save`/`load` and worker-thread vector envs for `vectorEnv: 'async'`. Nothing is
 * installed anywhere on import; the Node entry's algorithm classes (./algorithms.ts) take these by default.
 */
import type { Ports } from '../algos/ports.js';
import { AsyncVectorEnv } from './async-vector-env.js';
import { nodeFileStorage } from './storage.js';

// Frozen: replacing `nodePorts.storage` would be a process-wide setting again.
export const nodePorts: Readonly<Ports> = Object.freeze<Ports>({
  storage: nodeFileStorage,
  asyncVectorEnv: (id, numEnvs, options, { envModules }) =>
    new AsyncVectorEnv(id, numEnvs, options, { copy: false, envModules }),
});
