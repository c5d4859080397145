/**
 * A trained policy as one JSON document: the spaces, the network spec, the flat float32 parameters (base64,
 * little-endian) and, when training normalised observations, the normaliser's statistics. Browser-safe: files are
 * read and written by the caller (the CLI, or a download in a web page).
 */
import { spaceFromJSON, type Box, type SpaceJSON } from '../envs/spaces.js';
import type { VecNormalizeState } from '../envs/vec-normalize.js';
import { describeValue, PolicygradError } from '../errors.js';
import { Rng } from '../rng.js';
import { ActorCriticPolicy, type ActorCriticOptions, type PolicySpec } from './actor-critic.js';
import { base64ToBytes, bytesToBase64 } from '../encoding.js';

export const POLICY_FORMAT = 'policygrad-policy';

export interface PolicyFile {
  format: typeof POLICY_FORMAT;
  version: 1;
  algo: string;
  env: string;
  envOptions: Record<string, unknown>;
  observationSpace: SpaceJSON;
  actionSpace: SpaceJSON;
  spec: PolicySpec;
  /** Observation statistics of VecNormalize (evaluation must normalise the same way), or null. */
  normalization: VecNormalizeState | null;
  /** The flat parameter vector: float32 little-endian bytes, base64. */
  params: string;
}

export function exportPolicy(
  policy: ActorCriticPolicy,
  info: {
    algo: string;
    env: string;
    envOptions: Record<string, unknown>;
    observationSpace: Box;
    actionSpace: { toJSON(): SpaceJSON };
    normalization: VecNormalizeState | null;
  },
): PolicyFile {
  return {
    format: POLICY_FORMAT,
    version: 1,
    algo: info.algo,
    env: info.env,
    envOptions: info.envOptions,
    observationSpace: info.observationSpace.toJSON(),
    actionSpace: info.actionSpace.toJSON(),
    spec: policy.spec,
    normalization: info.normalization,
    params: bytesToBase64(
      new Uint8Array(policy.params.buffer, policy.params.byteOffset, policy.params.byteLength),
    ),
  };
}

/** Rebuilds the policy of a `PolicyFile`, checking that the parameters fit the network it describes. */
export function importPolicy(file: PolicyFile): ActorCriticPolicy {
  if (file?.format !== POLICY_FORMAT || file.version !== 1) {
    throw new PolicygradError(
      `not a policygrad policy file (format ${describeValue(file?.format)}, version ${describeValue(file?.version)}): expected format '${POLICY_FORMAT}', version 1`,
    );
  }
  for (const key of ['useSde', 'fullStd', 'useExpln', 'squashOutput'] as const) {
    const value: unknown = file.spec?.[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new PolicygradError(
        `policy file: spec.${key} is ${describeValue(value)}; expected true or false`,
      );
    }
  }
  const observationSpace = spaceFromJSON(file.observationSpace);
  if (observationSpace.type !== 'Box')
    throw new PolicygradError('policy file: the observation space must be a Box');
  const policy = new ActorCriticPolicy(
    {
      observationSpace: observationSpace as Box,
      actionSpace: spaceFromJSON(file.actionSpace),
      ...networkOptions(file.spec),
    },
    Rng.fromSeed(0),
  );
  const bytes = base64ToBytes(file.params);
  if (bytes.byteLength !== policy.params.byteLength) {
    throw new PolicygradError(
      `policy file: ${bytes.byteLength / 4} parameters do not fit the described network (${policy.numParams})`,
    );
  }
  new Uint8Array(policy.params.buffer, policy.params.byteOffset, policy.params.byteLength).set(bytes);
  return policy;
}

/**
 * The network options of a file's spec (validated by the policy). Files written before `netArch` existed name
 * the widths of both networks `hiddenSizes`; they load as they always did.
 */
function networkOptions(
  spec: unknown,
): Pick<
  ActorCriticOptions,
  | 'netArch'
  | 'activation'
  | 'sharedTrunk'
  | 'stateDependentStd'
  | 'useSde'
  | 'fullStd'
  | 'useExpln'
  | 'squashOutput'
> {
  if (spec === null || typeof spec !== 'object') {
    throw new PolicygradError(`policy file: spec ${describeValue(spec)} is not an object`);
  }
  const {
    netArch,
    hiddenSizes,
    activation,
    sharedTrunk,
    stateDependentStd,
    useSde,
    fullStd,
    useExpln,
    squashOutput,
  } = spec as Record<string, unknown>;
  return {
    netArch: (netArch ?? hiddenSizes) as ActorCriticOptions['netArch'],
    activation: activation as ActorCriticOptions['activation'],
    sharedTrunk: sharedTrunk === true,
    stateDependentStd: stateDependentStd === true,
    // gSDE and squashing (validated as booleans above); absent in files written before they existed
    ...(useSde === undefined ? {} : { useSde: useSde as boolean }),
    ...(fullStd === undefined ? {} : { fullStd: fullStd as boolean }),
    ...(useExpln === undefined ? {} : { useExpln: useExpln as boolean }),
    ...(squashOutput === undefined ? {} : { squashOutput: squashOutput as boolean }),
  };
}
