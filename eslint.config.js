// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layeringRule } from './eslint/layering.js';

/**
 * Imports that break the layering today, per file and per imported file, each with why and what removes it
 * (ARCHITECTURE.md § "Violations today"). The layering rule reports an entry that no longer matches an import,
 * so this list can only shrink; issue 15's refactor empties it.
 */
/** @type {Record<string, Record<string, string>>} */
const layeringExceptions = {};

/** Files that must run in a browser unchanged: the core (ARCHITECTURE.md § Platform line) and the dashboard page. */
const browserSafe = [
  'src/envs/**',
  'src/nn/**',
  'src/policies/**',
  'src/estimators/**',
  'src/algos/**',
  'src/rollouts/**',
  'src/{errors,rng,options,encoding,inference,text,version,index,internal}.ts',
  'src/dashboard/**',
];

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
    // Which folder may import which, Node built-ins out of the core, no barrels inside src/ (ARCHITECTURE.md).
    files: ['src/**/*.ts'],
    plugins: { policygrad: { rules: { layering: layeringRule } } },
    rules: { 'policygrad/layering': ['error', { exceptions: layeringExceptions }] },
  },
  {
    files: browserSafe,
    rules: {
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'global', 'setImmediate', '__dirname', '__filename'].map((name) => ({
          name,
          message: 'The core runs in a browser: no Node globals (ARCHITECTURE.md § Platform line).',
        })),
      ],
    },
  },
  {
    // The CommonJS entry for require('policygrad') (cjs/load.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
