/**
 * policygrad for Node: everything in the browser-safe core (./index.js) plus what needs Node's threads and files:
 * A3C on worker threads and run directories. Package consumers on Node get this entry automatically
 * (the "node" export condition).
 */
import { setFileStorage } from './algos/persistence.js';
import { setAsyncVectorEnvFactory } from './envs/vector.js';
import { AsyncVectorEnv } from './node/async-vector-env.js';
import { nodeFileStorage } from './node/run-dir.js';

export * from './index.js'; // the curated core list; the Node additions below (pinned by test/exports.test.ts)
export { A3C } from './node/a3c.js';
export { RunDirectory } from './node/run-dir.js';
export { AsyncVectorEnv } from './node/async-vector-env.js';

// `vectorEnv: 'async'` in algorithm configs builds an AsyncVectorEnv (the core cannot start threads itself).
setAsyncVectorEnvFactory(
  (id, numEnvs, options, { envModules }) =>
    new AsyncVectorEnv(id, numEnvs, options, { copy: false, envModules }),
);
// `model.save(dir)` and `PPO.load(dir)` write and read files.
setFileStorage(nodeFileStorage);
