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
import {
  type CriticMemory,
  RecurrentActorCriticPolicy,
  type RecurrentPolicySpec,
} from './recurrent-actor-critic.js';
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
  /** The network: feed-forward (`PolicySpec`) or recurrent (`RecurrentPolicySpec`, kind 'recurrent'). */
  spec: PolicySpec | RecurrentPolicySpec;
  /** Observation statistics of VecNormalize (evaluation must normalise the same way), or null. */
  normalization: VecNormalizeState | null;
  /** The flat parameter vector: float32 little-endian bytes, base64. */
  params: string;
}

export function exportPolicy(
  policy: ActorCriticPolicy | RecurrentActorCriticPolicy,
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
    params: bytesToBase64(new Uint8Array(float32(policy.params).buffer)),
  };
}

function float32(params: Float32Array | Float64Array): Float32Array {
  return params instanceof Float32Array
    ? params.slice() // a copy of the view, which may sit in the kernels' memory
    : Float32Array.from(params);
}

/** Whether a policy file holds a recurrent policy (read it with `importRecurrentPolicy`). */
export function isRecurrentPolicyFile(file: PolicyFile): boolean {
  return (file?.spec as { kind?: unknown } | undefined)?.kind === 'recurrent';
}

/** Rebuilds the recurrent policy of a `PolicyFile`, checking that the parameters fit its network. */
export function importRecurrentPolicy(file: PolicyFile): RecurrentActorCriticPolicy {
  checkFormat(file);
  if (!isRecurrentPolicyFile(file)) {
    throw new PolicygradError('policy file: a feed-forward policy; read it with importPolicy');
  }
  const spec = file.spec as Partial<RecurrentPolicySpec>;
  const critic: unknown = spec.critic;
  if (critic !== 'own' && critic !== 'shared' && critic !== 'none') {
    throw new PolicygradError(
      `policy file: spec.critic is ${describeValue(critic)}; expected 'own', 'shared' or 'none'`,
    );
  }
  const policy = new RecurrentActorCriticPolicy(
    {
      observationSpace: boxObservations(file),
      actionSpace: spaceFromJSON(file.actionSpace),
      cell: spec.cell,
      hiddenSize: spec.hiddenSize,
      encoder: spec.encoder,
      netArch: spec.netArch,
      activation: spec.activation,
      enableCriticLstm: (critic as CriticMemory) === 'own',
      sharedLstm: (critic as CriticMemory) === 'shared',
      useSde: spec.useSde === true,
      ...(spec.useSde === true ? { fullStd: spec.fullStd !== false, useExpln: spec.useExpln === true } : {}),
    },
    Rng.fromSeed(0),
  );
  setParams(file, policy.params as Float32Array, policy.numParams);
  return policy;
}

function checkFormat(file: PolicyFile): void {
  if (file?.format !== POLICY_FORMAT || file.version !== 1) {
    throw new PolicygradError(
      `not a policygrad policy file (format ${describeValue(file?.format)}, version ${describeValue(file?.version)}): expected format '${POLICY_FORMAT}', version 1`,
    );
  }
}

function boxObservations(file: PolicyFile): Box {
  const observationSpace = spaceFromJSON(file.observationSpace);
  if (observationSpace.type !== 'Box')
    throw new PolicygradError('policy file: the observation space must be a Box');
  return observationSpace as Box;
}

function setParams(file: PolicyFile, params: Float32Array, count: number): void {
  const bytes = base64ToBytes(file.params);
  if (bytes.byteLength !== params.byteLength) {
    throw new PolicygradError(
      `policy file: ${bytes.byteLength / 4} parameters do not fit the described network (${count})`,
    );
  }
  new Uint8Array(params.buffer, params.byteOffset, params.byteLength).set(bytes);
}

/** Rebuilds the policy of a `PolicyFile`, checking that the parameters fit the network it describes. */
export function importPolicy(file: PolicyFile): ActorCriticPolicy {
  checkFormat(file);
  if (isRecurrentPolicyFile(file)) {
    throw new PolicygradError('policy file: a recurrent policy; read it with importRecurrentPolicy');
  }
  for (const key of ['useSde', 'fullStd', 'useExpln', 'squashOutput'] as const) {
    const value: unknown = (file.spec as PolicySpec)?.[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new PolicygradError(
        `policy file: spec.${key} is ${describeValue(value)}; expected true or false`,
      );
    }
  }
  const policy = new ActorCriticPolicy(
    {
      observationSpace: boxObservations(file),
      actionSpace: spaceFromJSON(file.actionSpace),
      ...networkOptions(file.spec),
    },
    Rng.fromSeed(0),
  );
  setParams(file, policy.params, policy.numParams);
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
