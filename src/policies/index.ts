export * from './distributions.js';
export * from './actor-critic.js';
export * from './serialize.js';
export * from './gsde.js';
export * from './squashed-gaussian.js';
export * from './recurrent-actor-critic.js';
