/**
 * Option and config validation with zod, turned into errors a user can act on: the field, the value given and
 * what is accepted. Shared by environments (constructor options) and, later, algorithm configs.
 */
import type { z } from 'zod';
import { levenshtein } from './text.js';
import { describeValue, PolicygradError } from './errors.js';

/**
 * Parses `input` with `schema` (a strict object schema, so unknown keys are refused) and returns the typed,
 * defaulted result. On failure throws `ErrorClass` with one line per problem, prefixed by `context`.
 */
export function parseOptions<S extends z.ZodObject>(
  schema: S,
  input: unknown,
  context: string,
  ErrorClass: new (message: string) => Error = PolicygradError,
): z.output<S> {
  refuseRenamedOptions(input, context, ErrorClass, RENAMED_BY_SCHEMA.get(schema));
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const accepted = Object.keys(schema.shape);
  const lines = result.error.issues.map((issue) => describeIssue(issue, input, accepted));
  throw new ErrorClass(`${context}: ${lines.join('; ')}`);
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, accepted: string[]): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'${suggestion(k, accepted)}`).join(', ');
    const list = accepted.length > 0 ? accepted.join(', ') : '(none)';
    return `unknown option${issue.keys.length > 1 ? 's' : ''} ${keys}; accepted options: ${list}`;
  }
  const path = issue.path.map(String).join('.');
  const value = issue.path.reduce<unknown>(
    (obj, key) =>
      obj !== null && typeof obj === 'object' ? (obj as Record<PropertyKey, unknown>)[key] : undefined,
    input,
  );
  return `option '${path}' = ${describeValue(value)} is invalid: ${issue.message}`;
}

/** Options that were renamed, with what to write instead (SB3/rl-zoo names: `net_arch` → netArch). */
const RENAMED_OPTIONS: Record<string, string> = {
  hiddenSizes:
    "'netArch': netArch: [64, 64] for both networks, or { pi: [64, 64], vf: [256, 256] } for the actor and the critic",
};

/** Old names of one schema's options (an algorithm's config), declared with `declareRenamedOptions`. */
const RENAMED_BY_SCHEMA = new WeakMap<z.ZodObject, Readonly<Record<string, string>>>();

/**
 * Declares that `schema` once accepted each key of `renamed` under that old name: `parseOptions(schema, …)` then
 * refuses the old name with one line naming the new one (`renamed[old]`, the new name and why).
 */
export function declareRenamedOptions(schema: z.ZodObject, renamed: Readonly<Record<string, string>>): void {
  RENAMED_BY_SCHEMA.set(schema, renamed);
}

/** Refuses an option by its old name with one line naming the new one (never dropped, never a bare "unknown"). */
export function refuseRenamedOptions(
  input: unknown,
  context: string,
  ErrorClass: new (message: string) => Error = PolicygradError,
  renamed: Readonly<Record<string, string>> = {},
): void {
  if (input === null || typeof input !== 'object') return;
  for (const [old, instead] of Object.entries({ ...RENAMED_OPTIONS, ...renamed })) {
    if (Object.hasOwn(input, old))
      throw new ErrorClass(`${context}: option '${old}' was renamed to ${instead}`);
  }
}

/**
 * " (did you mean learningRate?)" for a snake_case spelling of an accepted camelCase option (SB3 and rl-zoo
 * names) or a near miss; empty when nothing is close.
 */
function suggestion(key: string, accepted: string[]): string {
  const camel = key.toLowerCase().replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const exact = accepted.find(
    (name) => name === camel || name.toLowerCase() === key.replace(/_/g, '').toLowerCase(),
  );
  if (exact !== undefined) return ` (did you mean ${exact}?)`;
  const close = accepted.filter((name) => levenshtein(key.toLowerCase(), name.toLowerCase()) <= 2);
  return close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : '';
}
