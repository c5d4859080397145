// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node built-ins must stay out of the core so it runs in a browser unchanged (design §1). */
const nodeBuiltinImports = {
  patterns: [
    {
      regex:
        '^(node:.*|fs|path|os|child_process|worker_threads|process|crypto|url|util|stream|events|http|https|net|readline|zlib)(/.*)?$',
      message: 'The core must run in a browser: keep Node built-ins in src/train adapters and src/cli.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/', 'assembly/', 'build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', performance: 'readonly', URL: 'readonly' },
    },
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the seeded Rng (src/rng.ts), never Math.random.',
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/envs/**', 'src/nn/**', 'src/policies/**', 'src/estimators/**', 'src/algos/**', 'src/*.ts'],
    rules: { 'no-restricted-imports': ['error', nodeBuiltinImports] },
  },
  {
    files: ['src/envs/**', 'src/nn/**', 'src/policies/**', 'src/estimators/**', 'src/algos/**', 'src/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'process', message: 'No Node globals in the core.' }],
    },
  },
  {
    // The CommonJS entry for require('policygrad') (cjs/load.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
