/**
 * The curated package (issue 15 step 4, ARCHITECTURE.md § "Step 4: a curated package"): the root entries export
 * exactly the names pinned here, so adding or removing a root name is a change to this file, made in review. Every
 * pinned value exists at runtime and every pinned type is a type the compiler resolves; `policygrad/internal`
 * holds every root name and the rest.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript script of the repo, without type declarations
import { entryExports } from '../scripts/count-exports.mjs';

/** `policygrad/core` (src/index.ts): runtime values. */
const CORE_VALUES = [
  // algorithms
  ...['PPO', 'A2C', 'TRPO', 'NPG', 'Reinforce', 'RecurrentPPO', 'createAlgorithm', 'listPresets'],
  // callbacks
  ...['EvalCallback', 'SaveCallback', 'stopOnReturn'],
  // envs
  ...['make', 'register', 'listEnvs', 'loadEnvEngine', 'checkEnv', 'BaseEnv', 'Wrapper', 'SyncVectorEnv'],
  ...['makeVec', 'VecNormalize', 'TimeLimit', 'RecordEpisodeStatistics', 'NormalizeObservation'],
  ...['NormalizeReward', 'ClipAction', 'RescaleAction', 'FlattenObservation', 'MaskVelocity'],
  // spaces
  ...['Box', 'Discrete', 'MultiDiscrete', 'MultiBinary', 'Dict'],
  // estimators
  ...['gae', 'rewardToGo', 'totalReturn', 'nStepReturns', 'vtrace'],
  // policies
  ...['ActorCriticPolicy', 'exportPolicy', 'importPolicy', 'normalizationOf'],
  // runtime
  ...['Rng', 'setDefaultKernels', 'describeKernels', 'VERSION'],
  // errors
  ...['PolicygradError', 'InvalidActionError', 'ResetNeededError', 'EnvConfigError'],
];

/** `policygrad/core`: type-only names. */
const CORE_TYPES = [
  ...['Algorithm', 'AlgorithmName', 'PPOConfig', 'A2CConfig', 'A3CConfig', 'TRPOConfig', 'ReinforceConfig'],
  ...[
    'RecurrentPPOConfig',
    'LearnOptions',
    'LoadOptions',
    'PredictOptions',
    'Checkpoint',
    'Ports',
    'Callback',
  ],
  ...['Env', 'VectorEnv', 'StepResult', 'Info', 'MakeOptions', 'ResetOptions', 'ResetResult', 'Space'],
  ...['PolicyFile', 'ActorCriticOptions', 'FileStorage'],
];

/** What the Node entry (`policygrad` under Node, src/node.ts) adds to the core. */
const NODE_VALUES = ['A3C', 'AsyncVectorEnv', 'RunDirectory', 'nodePorts'];

const sorted = (names: string[]) => [...names].sort();

describe('package root', () => {
  const [core, node, internal] = entryExports(['src/index.ts', 'src/node.ts', 'src/internal.ts']) as {
    values: string[];
    types: string[];
  }[];

  it('the core root exports exactly the pinned values and types (at most 80 names)', () => {
    expect(core.values).toEqual(sorted(CORE_VALUES));
    expect(core.types).toEqual(sorted(CORE_TYPES));
    expect(CORE_VALUES.length + CORE_TYPES.length).toBeLessThanOrEqual(80);
  });

  it('the Node root is the core plus the Node additions (at most 80 names)', () => {
    expect(node.values).toEqual(sorted([...CORE_VALUES, ...NODE_VALUES]));
    expect(node.types).toEqual(sorted(CORE_TYPES));
    expect(node.values.length + node.types.length).toBeLessThanOrEqual(80);
  });

  it('every pinned value exists at runtime, and nothing else does', async () => {
    const coreModule: Record<string, unknown> = await import('../src/index.js');
    expect(sorted(Object.keys(coreModule))).toEqual(sorted(CORE_VALUES));
    for (const name of CORE_VALUES) expect(coreModule[name], name).toBeDefined();
    const nodeModule: Record<string, unknown> = await import('../src/node.js');
    expect(sorted(Object.keys(nodeModule))).toEqual(sorted([...CORE_VALUES, ...NODE_VALUES]));
    for (const name of NODE_VALUES) expect(nodeModule[name], name).toBeDefined();
  });

  it('policygrad/internal holds every core name and the internals the root leaves out', async () => {
    for (const name of [...CORE_VALUES]) expect(internal.values).toContain(name);
    for (const name of CORE_TYPES) expect(internal.types).toContain(name);
    expect(internal.values).toEqual(
      expect.arrayContaining(['PRESETS', 'MLP', 'gatherMinibatch', 'CartPoleEnv']),
    );
    const internalNode: Record<string, unknown> = await import('../src/internal-node.js');
    for (const name of [...internal.values, ...NODE_VALUES, 'resolveEnvModule', 'readPolicyFile'])
      expect(internalNode[name], name).toBeDefined();
  });
});
