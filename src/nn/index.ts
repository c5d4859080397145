export * from './init.js';
export * from './kernels.js';
export * from './mlp.js';
export * from './optim.js';
