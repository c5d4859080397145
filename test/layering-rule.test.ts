/**
 * The layering lint rule (eslint/layering.js, ARCHITECTURE.md § Layers): each kind of violation is reported at
 * the import that commits it, the allowed arrows pass, and an exception that matches no import is reported.
 */
import { join } from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the lint setup, without type declarations
import { layeringRule } from '../eslint/layering.js';

RuleTester.describe = describe;
RuleTester.it = it;

const root = join(import.meta.dirname, '..');
const at = (file: string) => join(root, file);
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

tester.run('policygrad/layering', layeringRule, {
  valid: [
    { filename: at('src/algos/ppo.ts'), code: "import { RolloutBuffer } from '../rollouts/rollout.js';" },
    { filename: at('src/algos/ppo.ts'), code: "import { z } from 'zod';" },
    { filename: at('src/policies/serialize.ts'), code: "import type { Box } from '../envs/spaces.js';" },
    { filename: at('src/envs/mujoco/engine.ts'), code: "const m = () => import('mujoco-js');" },
    { filename: at('src/envs/index.ts'), code: "export * from './classic/index.js';" },
    { filename: at('src/index.ts'), code: "export * from './algos/index.js';" },
    { filename: at('src/node.ts'), code: "export * from './index.js'; export * from './node/run-dir.js';" },
    { filename: at('src/node/run-dir.ts'), code: "import { writeFileSync } from 'node:fs';" },
    // The unstable entries build on the curated ones: internal on the core, internal-node on all three.
    { filename: at('src/internal.ts'), code: "export * from './index.js'; export * from './nn/index.js';" },
    {
      filename: at('src/internal-node.ts'),
      code: "export * from './node.js'; export * from './internal.js'; export * from './node/run-dir.js';",
    },
    { filename: at('src/cli/train.ts'), code: "import { RunDirectory } from '../node/run-dir.js';" },
    // './a3c.js' is core in src/algos (the same specifier is an adapter in src/node): paths, not patterns.
    { filename: at('src/algos/registry.ts'), code: "import { a3cConfigSchema } from './a3c.js';" },
    {
      filename: at('src/cli/list.ts'),
      code: "import { make } from '../node.js';",
      options: [{ exceptions: { 'src/cli/list.ts': { 'src/node.ts': 'a known violation' } } }],
    },
  ],
  invalid: [
    {
      filename: at('src/rollouts/rollout.ts'),
      code: "import { readFileSync } from 'node:fs';",
      errors: [{ messageId: 'nodeBuiltin' }],
    },
    {
      filename: at('src/nn/backend.ts'),
      code: "const load = () => import('worker_threads');",
      errors: [{ messageId: 'nodeBuiltin' }],
    },
    {
      filename: at('src/envs/env.ts'),
      code: "import vega from 'vega';",
      errors: [{ messageId: 'package' }],
    },
    {
      filename: at('src/estimators/vtrace.ts'),
      code: "import { VERSION } from '../index.js';",
      errors: [{ messageId: 'barrel' }],
    },
    {
      filename: at('src/cli/list.ts'),
      code: "export { make } from '../node.js';",
      errors: [{ messageId: 'barrel' }],
    },
    {
      filename: at('src/cli/train.ts'),
      code: "import { PRESETS } from '../internal.js';",
      errors: [{ messageId: 'barrel' }],
    },
    {
      filename: at('src/index.ts'),
      code: "export * from './internal.js';",
      errors: [{ messageId: 'barrel' }],
    },
    {
      filename: at('src/internal.ts'),
      code: "export * from './node.js';",
      errors: [{ messageId: 'barrel' }],
    },
    {
      filename: at('src/internal.ts'),
      code: "import { readFileSync } from 'node:fs';",
      errors: [{ messageId: 'nodeBuiltin' }],
    },
    {
      filename: at('src/node/a3c.ts'),
      code: "import { A2C } from '../algos/index.js';",
      errors: [{ messageId: 'folderBarrel' }],
    },
    {
      filename: at('src/envs/mujoco/engine.ts'),
      code: "import { make } from '../index.js';",
      errors: [{ messageId: 'folderBarrel' }],
    },
    {
      filename: at('src/rollouts/iteration.ts'),
      code: "import { KEEP_CHECKPOINTS } from '../node/run-dir.js';",
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/policies/serialize.ts'),
      code: "import type { PPO } from '../algos/ppo.js';",
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/algos/ppo.ts'),
      code: "import { runTrain } from '../cli/train.js';",
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/index.ts'),
      code: "export * from './node/a3c.js';",
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('src/options.ts'),
      code: "import { levenshtein } from './envs/registry.js';",
      options: [{ exceptions: { 'src/options.ts': { 'src/envs/spaces.ts': 'stale' } } }],
      errors: [{ messageId: 'staleException' }, { messageId: 'layer' }],
    },
  ],
});
