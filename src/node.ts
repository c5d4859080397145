/**
 * policygrad for Node: everything in the browser-safe core (./index.js) plus what needs Node's threads and files:
 * A3C on worker threads and run directories. Package consumers on Node get this entry automatically
 * (the "node" export condition).
 */
export * from './index.js';
export { A3C, type A3CLearnOptions, type A3COptions } from './train/a3c.js';
export { RunDirectory, readPolicyFile } from './train/run-dir.js';
