/**
 * policygrad for Node: everything in the browser-safe core (./index.js) plus what needs Node's threads and files:
 * A3C on worker threads, run directories, and `nodePorts` (files for save/load, worker-thread vector envs).
 * Package consumers on Node get this entry automatically (the "node" export condition).
 *
 * Importing it changes nothing in the core (no side effects). Its `PPO`, `A2C`, `TRPO`, `NPG`, `Reinforce`,
 * `RecurrentPPO` and `createAlgorithm` are the core's with `nodePorts` as their default ports (src/node/algorithms.ts), so
 * `new PPO({...}).save(dir)` and `PPO.load(dir)` work as in SB3; they shadow the core's names re-exported below.
 */
export * from './index.js'; // the curated core list; the Node additions below (pinned by test/exports.test.ts)
// The algorithm classes bound to nodePorts shadow the core's (an explicit export wins over `export *`).
export { A2C, createAlgorithm, NPG, PPO, RecurrentPPO, Reinforce, TRPO } from './node/algorithms.js';
export { nodePorts } from './node/ports.js';
export { A3C } from './node/a3c.js';
export { RunDirectory } from './node/run-dir.js';
export { AsyncVectorEnv } from './node/async-vector-env.js';
