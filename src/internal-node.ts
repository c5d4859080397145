/**
 * policygrad/internal under Node: every core name (./internal.js) plus every Node adapter (./node.js and the
 * adapters' own helpers). UNSTABLE, no semver promise: see src/internal.ts.
 */
export * from './node.js';
export * from './internal.js';
