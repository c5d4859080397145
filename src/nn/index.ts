export * from './activations.js';
export * from './init.js';
export * from './kernels.js';
export * from './mlp.js';
export * from './recurrent.js';
export * from './recurrent-kernels.js';
export * from './optim.js';
export * from './backend.js';
export { WasmKernels, createWasmKernels, wasmUnavailableReason } from './wasm-kernels.js';
