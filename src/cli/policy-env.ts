/**
 * A saved policy and the env it is played on, for the commands that play one (eval, eval --record, variance
 * --policy): the env's engine is loaded, and the env's spaces must be the ones the policy was trained with.
 */
import type { Env } from '../envs/env.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { make } from '../envs/registry.js';
import type { PolicyFile } from '../policies/serialize.js';
import { PolicygradError } from '../errors.js';
import { type Space, spaceFromJSON, type SpaceJSON } from '../envs/spaces.js';
import { readPolicyFile } from '../node/run-dir.js';

/** Reads the policy at `path` (a run directory or a policy file) and checks that it fits its env. */
export async function openPolicy(path: string): Promise<PolicyFile> {
  const file = readPolicyFile(path);
  if (typeof file?.env !== 'string') {
    throw new PolicygradError(`${path}: not a policygrad policy file (it names no env)`);
  }
  await loadEnvEngine(file.env);
  checkPolicyFitsEnv(file, path);
  return file;
}

/** Refuses a policy whose observation or action space is not the env's, naming both. */
export function checkPolicyFitsEnv(file: PolicyFile, path: string): void {
  let env: Env;
  try {
    env = make(file.env, file.envOptions ?? {});
  } catch (error) {
    if (error instanceof PolicygradError) {
      throw new PolicygradError(`${path}: the policy's env cannot be made: ${error.message}`);
    }
    throw error;
  }
  try {
    const policyObs = spaceFromJSON(file.observationSpace);
    const policyAct = spaceFromJSON(file.actionSpace);
    const fits =
      signature(policyObs.toJSON()) === signature(env.observationSpace.toJSON()) &&
      signature(policyAct.toJSON()) === signature(env.actionSpace.toJSON());
    if (!fits) {
      throw new PolicygradError(
        `${path}: the policy does not fit ${file.env}: it takes observations ${describe(policyObs)} and gives actions ${describe(policyAct)}, but ${file.env} has observations ${describe(env.observationSpace)} and actions ${describe(env.actionSpace)}`,
      );
    }
  } finally {
    env.close();
  }
}

/** What must agree between a policy and an env: the kind of space and its shape (not a Box's bounds). */
function signature(json: SpaceJSON): string {
  const { type, shape, n, nvec, start } = json as Partial<Record<string, unknown>>;
  return JSON.stringify({ type, shape: type === 'Box' ? shape : undefined, n, nvec, start });
}

function describe(space: Space): string {
  return space.type === 'Box'
    ? `Box of shape (${space.shape.join(', ')}${space.shape.length === 1 ? ',' : ''})`
    : space.toString();
}
