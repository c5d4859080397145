import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Cross-origin isolation lets the page and its worker use SharedArrayBuffer, which the WebAssembly SIMD kernels'
 * shared memory needs (without it the library falls back to its TypeScript kernels, and says so).
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  build: { outDir: '../build/web', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
