/**
 * policygrad for Node: everything in the browser-safe core (./index.js) plus what needs Node's threads and files:
 * A3C on worker threads and run directories. Package consumers on Node get this entry automatically
 * (the "node" export condition).
 */
import { setAsyncVectorEnvFactory, setFileStorage } from './index.js';
import { AsyncVectorEnv } from './node/async-vector-env.js';
import { nodeFileStorage } from './node/run-dir.js';

export * from './index.js';
export { A3C, type A3CLearnOptions } from './node/a3c.js';
export {
  DistributedRun,
  type DistributedLearnOptions,
  isDistributedAlgorithm,
  localActors,
} from './node/distributed.js';
export { resolveEnvModule } from './node/env-modules.js';
export { RunDirectory, readPolicyFile } from './node/run-dir.js';
export { AsyncVectorEnv, type AsyncVectorEnvOptions } from './node/async-vector-env.js';

// `vectorEnv: 'async'` in algorithm configs builds an AsyncVectorEnv (the core cannot start threads itself).
setAsyncVectorEnvFactory(
  (id, numEnvs, options, { envModules }) =>
    new AsyncVectorEnv(id, numEnvs, options, { copy: false, envModules }),
);
// `model.save(dir)` and `PPO.load(dir)` write and read files.
setFileStorage(nodeFileStorage);
