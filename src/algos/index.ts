export * from './reinforce.js';
export * from './value-regression.js';
export * from './policy-gradient.js';
export * from './variance-lab.js';
