export * from './distributions.js';
export * from './actor-critic.js';
