/**
 * Checkpoints of the on-policy algorithms: everything that decides the rest of a run, so that a run resumed from
 * a checkpoint produces exactly the metrics of an uninterrupted one. A checkpoint is taken between iterations and
 * holds the parameters, the optimizers' moments and step counts, the generator's state, the vector env's snapshot
 * (each sub-env's physical state, generator and wrapper counters, normaliser statistics), the collector's running
 * episodes, the iteration counters and the schedule's progress (the step the `learn` call started at and its
 * budget), a gSDE policy's exploration matrices, and the update rule's optimizers and own state, under the names
 * the rule gives them. Plain JSON with a format name and version.
 *
 * Version 3 stores the optimizers' buffers (Adam's moments, RMSprop's averages: most of a checkpoint) as
 * `{ dtype, data }`, their bytes in base64, like the parameters: bit-exact as before, less than half the bytes of
 * JSON numbers, and encoded and parsed many times faster (a sweep's trials send a checkpoint every few seconds).
 * Versions 1 and 2 hold them as arrays of numbers and are read as they are.
 *
 * Version 2 (issue 15's trainer) names the optimizers by the update rule ('actorCritic' for A2C and PPO, 'critic'
 * for TRPO/NPG, 'actor' and 'critic' for REINFORCE) and calls the rule's own state `state`. Version 1 named them
 * class by class and called the state `extra`; the names map one to one, so version 1 files are converted on read.
 */
import { decodeFloatsInto, encodeFloats } from '../encoding.js';
import type { EnvSnapshot } from '../envs/env.js';
import { describeValue, PolicygradError } from '../errors.js';
import type { Optimizer, OptimizerState } from '../nn/optim.js';
import type { RngState } from '../rng.js';
import type { IterationTracker, IterationTrackerState } from '../rollouts/iteration.js';
import type { CollectorSnapshot } from '../rollouts/rollout.js';
import type { OnPolicyParts } from './on-policy.js';
import type { StateDependentNoise, StateDependentNoiseState } from '../policies/gsde.js';
import type { Floats } from '../nn/kernels.js';

export const CHECKPOINT_FORMAT = 'policygrad-checkpoint';
export const CHECKPOINT_VERSION = 3;
/** Versions read: 1 (converted on read), 2 (optimizer buffers as arrays of numbers) and this one. */
const READABLE_VERSIONS: readonly unknown[] = [1, 2, CHECKPOINT_VERSION];

/** Version 1's optimizer names per algorithm → version 2's (the update rule's). */
const V1_OPTIMIZER_NAMES: Record<string, Record<string, string>> = {
  a2c: { optimizer: 'actorCritic' },
  ppo: { adam: 'actorCritic' },
  trpo: { critic: 'critic' },
  npg: { critic: 'critic' },
  reinforce: { policy: 'actor', value: 'critic' },
};

/** Where the current `learn` schedule started and how long it runs. */
export interface LearnProgress {
  startStep: number;
  totalTimesteps: number;
}

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  algo: string;
  env: string;
  step: number;
  iteration: number;
  progress: LearnProgress | null;
  tracker: IterationTrackerState;
  params: string;
  rng: RngState;
  vectorEnv: EnvSnapshot;
  collector: CollectorSnapshot;
  /** The update rule's optimizers, by the rule's names. */
  optimizers: Record<string, OptimizerState>;
  /** gSDE's exploration matrices (drawn from `rng`), for a policy with `useSde`. */
  exploration?: StateDependentNoiseState;
  /** The update rule's own state (PPO's β, REINFORCE's batches kept for reuse). */
  state: Record<string, unknown>;
}

/** What an algorithm hands to `captureCheckpoint` and `restoreCheckpoint`. */
export interface CheckpointParts {
  algo: string;
  env: string;
  parts: CheckpointableParts;
  tracker: IterationTracker;
  progress: LearnProgress | null;
  optimizers: Record<string, Optimizer>;
}

/** The pieces of a run a checkpoint holds: `OnPolicyParts`, or a recurrent run's (any policy with flat params). */
export interface CheckpointableParts {
  env: OnPolicyParts['env'];
  rng: OnPolicyParts['rng'];
  collector: OnPolicyParts['collector'];
  policy: { readonly params: Floats; readonly sde: StateDependentNoise | null };
  /** The step buffer (not checkpointed: it is refilled before it is read). */
  buffer?: OnPolicyParts['buffer'];
}

export function captureCheckpoint(c: CheckpointParts, state: Record<string, unknown> = {}): Checkpoint {
  const { parts } = c;
  if (typeof parts.env.snapshot !== 'function') {
    throw new PolicygradError(
      `${c.algo.toUpperCase()}: this vector env cannot be checkpointed (use vectorEnv 'sync')`,
    );
  }
  const tracker = c.tracker.getState();
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    algo: c.algo,
    env: c.env,
    step: parts.collector.totalSteps,
    iteration: tracker.iteration,
    progress: c.progress === null ? null : { ...c.progress },
    tracker,
    params: encodeFloats(parts.policy.params),
    rng: parts.rng.getState(),
    vectorEnv: parts.env.snapshot(),
    collector: parts.collector.snapshot(),
    optimizers: Object.fromEntries(Object.entries(c.optimizers).map(([k, o]) => [k, o.getState()])),
    ...(parts.policy.sde === null ? {} : { exploration: parts.policy.sde.getState() }),
    state,
  };
}

/** Checks that `value` is a checkpoint of this format, algorithm and env; says exactly what does not match. */
export function validateCheckpoint(value: unknown, algo: string, env: string | null): Checkpoint {
  const cp = value as Partial<Checkpoint> | null;
  if (cp === null || typeof cp !== 'object' || cp.format !== CHECKPOINT_FORMAT) {
    throw new PolicygradError(`not a policygrad checkpoint (format ${describeValue(cp?.format)})`);
  }
  if (!READABLE_VERSIONS.includes(cp.version)) {
    throw new PolicygradError(
      `checkpoint format version ${describeValue(cp.version)} is not supported: expected ${READABLE_VERSIONS.join(', ')}`,
    );
  }
  if (cp.algo !== algo || (env !== null && cp.env !== env)) {
    throw new PolicygradError(
      `the checkpoint was made by ${describeValue(cp.algo)} on ${describeValue(cp.env)}, not by '${algo}' on '${env}'`,
    );
  }
  for (const key of ['params', 'rng', 'vectorEnv', 'collector', 'optimizers', 'tracker'] as const) {
    if (cp[key] === undefined || cp[key] === null) {
      throw new PolicygradError(`checkpoint is incomplete: '${key}' is missing`);
    }
  }
  return cp.version === 1 ? upgradeCheckpointV1(cp as CheckpointV1) : (cp as Checkpoint);
}

/** Version 1: the same fields, optimizers named class by class, the rule's state called `extra`. */
type CheckpointV1 = Omit<Checkpoint, 'state' | 'version'> & { version: 1; extra?: Record<string, unknown> };

function upgradeCheckpointV1(cp: CheckpointV1): Checkpoint {
  const names = V1_OPTIMIZER_NAMES[cp.algo] ?? {};
  const { extra, ...rest } = cp;
  const optimizers = Object.fromEntries(
    Object.entries(cp.optimizers).map(([name, state]) => [names[name] ?? name, state]),
  );
  return { ...rest, version: CHECKPOINT_VERSION, optimizers, state: extra ?? {} };
}

/** Puts a validated checkpoint back into the algorithm's parts; returns its progress and the rule's state. */
export function restoreCheckpoint(
  c: CheckpointParts,
  value: unknown,
  { weightsOnly = false }: { weightsOnly?: boolean } = {},
): { progress: LearnProgress | null; state: Record<string, unknown> } {
  const cp = validateCheckpoint(value, c.algo, weightsOnly ? null : c.env);
  const { parts } = c;
  if (weightsOnly) {
    // Another env (same spaces): the networks and optimizers carry over, the run's env state does not.
    decodeFloatsInto(cp.params, parts.policy.params, 'checkpoint parameters');
    for (const [name, optimizer] of Object.entries(c.optimizers)) {
      if (cp.optimizers[name] !== undefined) restoreOptimizer(optimizer, name, cp.optimizers[name]);
    }
    return { progress: null, state: cp.state ?? {} };
  }
  if (typeof parts.env.restore !== 'function') {
    throw new PolicygradError(
      `${c.algo.toUpperCase()}: this vector env cannot be restored (use vectorEnv 'sync')`,
    );
  }
  decodeFloatsInto(cp.params, parts.policy.params, 'checkpoint parameters');
  for (const [name, optimizer] of Object.entries(c.optimizers)) {
    const state = cp.optimizers[name];
    if (state === undefined)
      throw new PolicygradError(`checkpoint is incomplete: optimizer '${name}' is missing`);
    restoreOptimizer(optimizer, name, state);
  }
  if (parts.policy.sde !== null) {
    if (cp.exploration === undefined) {
      throw new PolicygradError(
        "checkpoint is incomplete: the gSDE policy's 'exploration' matrices are missing",
      );
    }
    parts.policy.sde.setState(cp.exploration);
  }
  parts.rng.setState(cp.rng);
  parts.env.restore(cp.vectorEnv);
  parts.collector.restore(cp.collector);
  c.tracker.setState(cp.tracker);
  return { progress: cp.progress, state: cp.state ?? {} };
}

/** `optimizer.setState`, its one-line error prefixed with the checkpoint field it came from. */
function restoreOptimizer(optimizer: Optimizer, name: string, state: OptimizerState): void {
  try {
    optimizer.setState(state);
  } catch (error) {
    if (!(error instanceof PolicygradError)) throw error;
    throw new PolicygradError(`checkpoint field 'optimizers.${name}': ${error.message}`);
  }
}

/**
 * Validates the argument of `learn` before anything changes: an options object whose `totalTimesteps` is a
 * positive integer (so SB3's `learn(1000)` from plain JavaScript is refused with the value it got).
 */
export function checkLearnOptions<T extends { totalTimesteps: number; resetProgress?: boolean }>(
  algo: string,
  options: T,
  method = 'learn',
): T & { resetProgress: boolean } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PolicygradError(
      `${algo}.${method}: expected an options object such as { totalTimesteps: 10000 }, got ${describeValue(options)}`,
    );
  }
  const { totalTimesteps, resetProgress = true } = options;
  if (typeof totalTimesteps !== 'number' || !Number.isSafeInteger(totalTimesteps) || totalTimesteps <= 0) {
    throw new PolicygradError(
      `${algo}.${method}: invalid totalTimesteps ${describeValue(totalTimesteps)}: expected a positive integer (environment steps)`,
    );
  }
  if (typeof resetProgress !== 'boolean') {
    throw new PolicygradError(
      `${algo}.${method}: invalid resetProgress ${describeValue(resetProgress)}: expected true or false`,
    );
  }
  return { ...options, resetProgress };
}

/**
 * The schedule for a `learn` call. resetProgress true: a fresh one of `totalTimesteps` from the current step.
 * false (SB3's `reset_num_timesteps=False`): `totalTimesteps` more steps, the schedule in force extended to end
 * there; passing the steps left of the schedule in force continues it exactly, as if never interrupted.
 */
export function beginProgress(
  current: LearnProgress | null,
  totalTimesteps: number,
  resetProgress: boolean,
  parts: Pick<OnPolicyParts, 'collector'>,
  tracker: IterationTracker,
): LearnProgress {
  const step = parts.collector.totalSteps;
  if (!resetProgress && current !== null) {
    return { startStep: current.startStep, totalTimesteps: step - current.startStep + totalTimesteps };
  }
  tracker.beginLearn();
  return { startStep: step, totalTimesteps };
}

/** Fraction of the schedule still ahead (1 at the start, 0 at the end). */
export function progressRemaining(progress: LearnProgress, step: number): number {
  return 1 - (step - progress.startStep) / progress.totalTimesteps;
}
