/**
 * `checkEnv(env)`: runs a custom environment through the API contract and reports every problem found, with a
 * message that says what is wrong and what was expected. Run it once on any environment you write.
 *
 * It checks: the spaces; that `reset` returns `{ observation, info }`; that observations have the declared
 * shape and dtype and lie inside the observation space; that `step` returns a finite numeric `reward`, boolean
 * `terminated` and `truncated`, and an `info` object; and that `reset({ seed })` and the steps after it are
 * deterministic under the same seed.
 */
import { describeValue } from '../errors.js';
import { Rng } from '../rng.js';
import type { Env } from './env.js';
import { Box, Dict, isSpace, type Space } from './spaces.js';

export interface EnvCheckReport {
  /** True when no errors were found. */
  ok: boolean;
  errors: string[];
  warnings: string[];
}

export interface CheckEnvOptions {
  /** Steps taken (with random actions) while checking `step`. Default 50. */
  steps?: number;
  /** Seed for the determinism check and the random actions. Default 123. */
  seed?: number;
}

/** How a BaseEnv makes its resets reproducible (Gymnasium: `super().reset(seed=seed)` and `self.np_random`). */
const SEEDING_HINT =
  'start reset() with this.reseed(options.seed) and draw all randomness from this.rng (never Math.random)';

export function checkEnv(env: Env, { steps = 50, seed = 123 }: CheckEnvOptions = {}): EnvCheckReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isSpace(env.observationSpace)) {
    errors.push(`observationSpace is ${describeValue(env.observationSpace)}, not a space (Box, Discrete, …)`);
  }
  if (!isSpace(env.actionSpace)) {
    errors.push(`actionSpace is ${describeValue(env.actionSpace)}, not a space (Box, Discrete, …)`);
  }
  if (errors.length > 0) return { ok: false, errors, warnings };
  if (env.observationSpace instanceof Box && !env.observationSpace.isBounded()) {
    warnings.push('observationSpace is unbounded in some dimensions; consider NormalizeObservation');
  }

  const first = tryRun(errors, 'reset({ seed })', () => rollout(env, seed, steps, errors));
  if (first === undefined) return { ok: false, errors, warnings };
  const second = tryRun(errors, 'reset({ seed }) (second run)', () => rollout(env, seed, steps, []));
  if (second !== undefined) {
    if (!deepEqual(first.resetObservation, second.resetObservation)) {
      errors.push(
        `reset({ seed: ${seed} }) is not deterministic: it returned ${describeValue(first.resetObservation)} and then ${describeValue(second.resetObservation)}; ${SEEDING_HINT}`,
      );
    } else {
      const diverged = first.transitions.findIndex((t, i) => !deepEqual(t, second.transitions[i]));
      if (diverged >= 0) {
        errors.push(
          `step() is not deterministic: after reset({ seed: ${seed} }) and the same actions, step ${diverged} returned ${describeValue(first.transitions[diverged])} and then ${describeValue(second.transitions[diverged])}; ${SEEDING_HINT}`,
        );
      }
    }
  }
  return { ok: errors.length === 0, errors, warnings };
}

interface Rollout {
  resetObservation: unknown;
  transitions: unknown[][];
}

/** Resets with `seed`, then takes up to `steps` seeded random actions, recording problems in `errors`. */
function rollout(env: Env, seed: number, steps: number, errors: string[]): Rollout {
  const reset = env.reset({ seed }) as unknown;
  if (reset === null || typeof reset !== 'object' || !('observation' in reset) || !('info' in reset)) {
    errors.push(`reset() must return { observation, info }, got ${describeValue(reset)}`);
    return { resetObservation: undefined, transitions: [] };
  }
  const { observation, info } = reset as { observation: unknown; info: unknown };
  checkObservation(env.observationSpace, observation, 'reset()', errors);
  if (info === null || typeof info !== 'object')
    errors.push(`reset() info must be an object, got ${describeValue(info)}`);

  const rng = Rng.fromSeed(seed);
  const transitions: unknown[][] = [];
  for (let t = 0; t < steps; t++) {
    const action = env.actionSpace.sample(rng);
    const result = env.step(action) as unknown;
    const where = `step() #${t}`;
    if (result === null || typeof result !== 'object') {
      errors.push(
        `${where} must return { observation, reward, terminated, truncated, info }, got ${describeValue(result)}`,
      );
      break;
    }
    const r = result as Record<string, unknown>;
    checkObservation(env.observationSpace, r.observation, where, errors);
    if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) {
      errors.push(`${where} returned reward ${describeValue(r.reward)}: expected a finite number`);
    }
    for (const flag of ['terminated', 'truncated'] as const) {
      if (typeof r[flag] !== 'boolean') {
        errors.push(
          `${where} returned ${flag} = ${describeValue(r[flag])}: expected a boolean (Gymnasium API: terminated for a terminal state, truncated for a cut such as a time limit)`,
        );
      }
    }
    if (r.info === null || typeof r.info !== 'object') {
      errors.push(`${where} returned info = ${describeValue(r.info)}: expected an object`);
    }
    transitions.push([r.observation, r.reward, r.terminated, r.truncated]);
    if (errors.length > 0 || r.terminated === true || r.truncated === true) break;
  }
  return { resetObservation: observation, transitions };
}

function checkObservation(space: Space, observation: unknown, where: string, errors: string[]): void {
  const problem = explainNotContained(space, observation);
  if (problem !== null) errors.push(`${where} observation: ${problem}`);
}

/** Why `x` is not an element of `space`, or null if it is. */
export function explainNotContained(space: Space, x: unknown): string | null {
  if (space.contains(x)) return null;
  if (space instanceof Box) {
    const expectedType = space.dtype === 'float32' ? 'Float32Array' : 'Float64Array';
    const isTyped = ArrayBuffer.isView(x) && !(x instanceof DataView);
    if (!isTyped && !Array.isArray(x))
      return `expected a ${expectedType} of ${space.size}, got ${describeValue(x)}`;
    const arr = x as ArrayLike<number>;
    if (arr.length !== space.size) {
      return `wrong shape: expected ${space.size} elements (shape [${space.shape}]), got ${arr.length}`;
    }
    if (isTyped && x.constructor.name !== expectedType) {
      return `wrong dtype: expected ${expectedType} (${space.dtype}), got ${x.constructor.name}`;
    }
    for (let i = 0; i < arr.length; i++) {
      const v = space.dtype === 'float32' ? Math.fround(arr[i]) : arr[i];
      if (!(v >= space.low[i] && v <= space.high[i])) {
        return `outside the observation space at index ${i}: ${describeValue(arr[i])} is not in [${space.low[i]}, ${space.high[i]}]`;
      }
    }
  }
  if (space instanceof Dict && x !== null && typeof x === 'object') {
    for (const key of space.keys) {
      const inner = explainNotContained(space.spaces[key], (x as Record<string, unknown>)[key]);
      if (inner !== null) return `entry '${key}': ${inner}`;
    }
  }
  return `${describeValue(x)} is not an element of ${space.toString()}`;
}

function tryRun<T>(errors: string[], what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    errors.push(`${what} threw: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}
