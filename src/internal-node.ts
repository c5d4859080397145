/**
 * policygrad/internal under Node: every core name (./internal.js) plus every Node adapter (./node.js and the
 * adapters' own helpers). UNSTABLE, no semver promise: see src/internal.ts.
 */
export * from './node.js';
export * from './internal.js';
export { type A3CLearnOptions } from './node/a3c.js';
export { resolveEnvModule } from './node/env-modules.js';
export { readPolicyFile } from './node/run-dir.js';
export { type AsyncVectorEnvOptions } from './node/async-vector-env.js';
