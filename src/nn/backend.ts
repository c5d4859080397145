/**
 * Which kernels new networks use by default: the WebAssembly SIMD kernels where the engine supports them (Node ≥ 20,
 * current browsers with cross-origin isolation), else the TypeScript reference. Chosen once, on first use.
 */
import { PolicygradError } from '../errors.js';
import { type DenseKernels, tsKernels } from './kernels.js';
import { createWasmKernels, wasmUnavailableReason } from './wasm-kernels.js';

let current: DenseKernels | undefined;

/** The kernels networks get when none are given. */
export function defaultKernels(): DenseKernels {
  current ??= createWasmKernels() ?? tsKernels;
  return current;
}

/** Chooses the default kernels for networks created from now on: 'wasm' fails if WebAssembly SIMD cannot run. */
export function setDefaultKernels(choice: 'wasm' | 'typescript' | DenseKernels): DenseKernels {
  if (choice === 'typescript') {
    current = tsKernels;
  } else if (choice === 'wasm') {
    const kernels = current?.name === 'wasm-simd' ? current : createWasmKernels();
    if (kernels === null) {
      throw new PolicygradError(`WebAssembly SIMD kernels are unavailable here: ${wasmUnavailableReason()}`);
    }
    current = kernels;
  } else {
    current = choice;
  }
  return current;
}

/** One line for logs: which kernels are in use and, for the fallback, why. */
export function describeKernels(): string {
  const kernels = defaultKernels();
  if (kernels.name === 'typescript' && wasmUnavailableReason() !== '') {
    return `typescript (WebAssembly SIMD unavailable: ${wasmUnavailableReason()})`;
  }
  return kernels.name;
}
