/** Each CLI algorithm's config schema, for what the CLI needs to know before building one (which keys exist). */
import type { z } from 'zod';
import { a2cConfigSchema } from '../algos/a2c.js';
import { a3cConfigSchema } from '../algos/a3c.js';
import { appoConfigSchema } from '../algos/appo.js';
import { impalaConfigSchema } from '../algos/impala.js';
import { ppoConfigSchema } from '../algos/ppo.js';
import { recurrentA2cConfigSchema } from '../algos/recurrent-a2c.js';
import { recurrentPpoConfigSchema } from '../algos/recurrent-ppo.js';
import { reinforceConfigSchema } from '../algos/reinforce.js';
import { npgConfigSchema, trpoConfigSchema } from '../algos/trpo.js';

const SCHEMAS: Record<string, z.ZodObject> = {
  ppo: ppoConfigSchema,
  'recurrent-ppo': recurrentPpoConfigSchema,
  'recurrent-a2c': recurrentA2cConfigSchema,
  a2c: a2cConfigSchema,
  trpo: trpoConfigSchema,
  npg: npgConfigSchema,
  reinforce: reinforceConfigSchema,
  a3c: a3cConfigSchema,
  impala: impalaConfigSchema,
  appo: appoConfigSchema,
};

/** The config keys `algo` accepts (none for an unknown algorithm: building it reports that). */
export function configKeysOf(algo: string): ReadonlySet<string> {
  return new Set(Object.hasOwn(SCHEMAS, algo) ? Object.keys(SCHEMAS[algo].shape) : []);
}

/** The schema of one config key of `algo`, if it has that key. */
export function configFieldOf(algo: string, key: string): z.ZodType | undefined {
  return Object.hasOwn(SCHEMAS, algo) ? (SCHEMAS[algo].shape[key] as z.ZodType | undefined) : undefined;
}
