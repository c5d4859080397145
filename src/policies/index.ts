export * from './distributions.js';
export * from './actor-critic.js';
export * from './serialize.js';
