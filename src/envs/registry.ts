/**
 * The environment registry: `register(spec)` adds an id, `make(id, options)` builds it with Gymnasium's
 * wrapper stack (`OrderEnforcing`, then `TimeLimit` with the registered `maxEpisodeSteps`), and `listEnvs()`
 * lists the ids.
 */
import { levenshtein } from '../text.js';
import { RENDER_MODES, type RenderMode } from './render.js';
import { describeValue, EnvConfigError } from '../errors.js';
import type { Env, EnvSpec } from './env.js';
import { OrderEnforcing, TimeLimit } from './wrappers.js';

export interface EnvRegistration {
  /** `Name-vN`, for example `CartPole-v1`. */
  id: string;
  /** Builds the base env from the options given to `make` (minus `maxEpisodeSteps`); validates them. */
  entryPoint: (options: Record<string, unknown>) => Env;
  /** Default episode limit applied by `make` with `TimeLimit`. */
  maxEpisodeSteps?: number;
  /** Mean return at which the task counts as solved. */
  rewardThreshold?: number;
  /** One line for `policygrad list envs`. */
  description?: string;
  /** An engine that must be loaded (asynchronously) before `make`: see `loadEnvEngine`. */
  engine?: 'mujoco' | 'box2d';
}

export interface MakeOptions extends Record<string, unknown> {
  /** Overrides the registered episode limit. */
  maxEpisodeSteps?: number;
  /** 'rgb_array': `env.render()` returns the current state as an RGB frame (Gymnasium's `render_mode`). */
  renderMode?: RenderMode | null;
}

const registry = new Map<string, EnvRegistration>();
const ID_PATTERN = /^(?:[\w.-]+\/)?([\w.:-]+?)(?:-v(\d+))?$/;

/** Registers an environment id. Registering an existing id throws unless `{ override: true }`. */
export function register(spec: EnvRegistration, { override = false } = {}): void {
  if (typeof spec?.id !== 'string' || !ID_PATTERN.test(spec.id)) {
    throw new EnvConfigError(
      `register: invalid id ${describeValue(spec?.id)}: expected a name like "MyEnv-v0"`,
    );
  }
  if (typeof spec.entryPoint !== 'function') {
    throw new EnvConfigError(`register: ${spec.id}: entryPoint must be a function (options) => Env`);
  }
  if (
    spec.maxEpisodeSteps !== undefined &&
    !(Number.isSafeInteger(spec.maxEpisodeSteps) && spec.maxEpisodeSteps > 0)
  ) {
    throw new EnvConfigError(
      `register: ${spec.id}: invalid maxEpisodeSteps ${describeValue(spec.maxEpisodeSteps)}: expected a positive integer`,
    );
  }
  if (registry.has(spec.id) && !override) {
    throw new EnvConfigError(
      `register: ${spec.id} is already registered; pass { override: true } to replace it`,
    );
  }
  registry.set(spec.id, { ...spec });
}

/** The registered ids, sorted. */
export function listEnvs(): string[] {
  return [...registry.keys()].sort();
}

/** The registration of `id`, or undefined. */
export function getRegistration(id: string): EnvRegistration | undefined {
  return registry.get(id);
}

/** Builds a registered environment with its default wrappers (OrderEnforcing, TimeLimit). */
export function make<O = unknown, A = unknown>(id: string, options: MakeOptions = {}): Env<O, A> {
  const registration = registry.get(id);
  if (registration === undefined) throw new EnvConfigError(unknownIdMessage(id));
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new EnvConfigError(`make('${id}'): options must be an object, got ${describeValue(options)}`);
  }
  const { maxEpisodeSteps = registration.maxEpisodeSteps, renderMode = null, ...kwargs } = options;
  if (renderMode !== null && !(RENDER_MODES as readonly unknown[]).includes(renderMode)) {
    throw new EnvConfigError(
      `make('${id}'): invalid renderMode ${describeValue(renderMode)}: expected one of ${RENDER_MODES.map((m) => `'${m}'`).join(', ')} (or null)`,
    );
  }
  if (maxEpisodeSteps !== undefined && !(Number.isSafeInteger(maxEpisodeSteps) && maxEpisodeSteps > 0)) {
    throw new EnvConfigError(
      `make('${id}'): invalid maxEpisodeSteps ${describeValue(maxEpisodeSteps)}: expected a positive integer`,
    );
  }
  const base = registration.entryPoint(kwargs);
  if (renderMode !== null) {
    const supported = base.renderModes ?? [];
    if (!supported.includes(renderMode)) {
      base.close();
      throw new EnvConfigError(
        `make('${id}'): this environment cannot render${supported.length > 0 ? ` in mode '${renderMode}'; it supports ${supported.join(', ')}` : ''}`,
      );
    }
    base.renderMode = renderMode;
  }
  const spec: EnvSpec = {
    id,
    maxEpisodeSteps,
    rewardThreshold: registration.rewardThreshold,
    kwargs: { ...kwargs },
  };
  base.unwrapped.spec = spec;
  let env: Env = new OrderEnforcing(base);
  if (maxEpisodeSteps !== undefined) env = new TimeLimit(env, maxEpisodeSteps);
  return env as Env<O, A>;
}

function unknownIdMessage(id: string): string {
  const ids = listEnvs();
  if (typeof id !== 'string')
    return `make: invalid id ${describeValue(id)}: expected a string such as 'CartPole-v1'`;
  const name = ID_PATTERN.exec(id)?.[1];
  const versions = ids.filter((other) => ID_PATTERN.exec(other)?.[1] === name);
  if (name !== undefined && versions.length > 0) {
    return `environment '${id}' is not registered; registered versions of ${name}: ${versions.join(', ')}`;
  }
  const close = ids
    .map((other) => ({ other, distance: levenshtein(id.toLowerCase(), other.toLowerCase()) }))
    .filter(({ other, distance }) => distance <= Math.max(2, Math.floor(other.length / 3)))
    .sort((a, b) => a.distance - b.distance)
    .map(({ other }) => other);
  const hint = close.length > 0 ? ` Did you mean: ${close.slice(0, 3).join(', ')}?` : '';
  return `unknown environment id '${id}'.${hint} Registered ids: ${ids.join(', ')}`;
}

export { levenshtein } from '../text.js';
