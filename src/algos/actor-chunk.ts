/**
 * The message an actor sends its learner (IMPALA/APPO, issue 17): a chunk of T steps from N envs collected with
 * policy version v, time-major like every rollout (index t·N + i). Over Redis or any other transport it travels
 * as two parts: a small JSON header (ids, version, sizes, and each tensor's dtype and shape) and one binary payload,
 * the tensors' bytes concatenated in the fixed order of `CHUNK_TENSORS`, little-endian (every platform Node and the
 * browsers run on).
 *
 * Everything that arrives is untrusted: `decodeActorChunk` checks the header against a schema and against what the
 * learner expects (its run id, its env's shapes, the versions it has published, size limits) before it allocates
 * anything, then the payload's contents (finite numbers, 0/1 flags, actions inside the action space, masks that
 * allow something, episode counts that match the flags). A chunk that fails is returned as a rejection with a
 * reason to count and a one-line message; nothing throws, so one bad or hostile chunk cannot stop the learner, and
 * none of its numbers reach an update.
 *
 * Browser-safe: no Node built-ins (the payload is a Uint8Array; a Node Buffer is one).
 */
import { z } from 'zod';
import { describeValue } from '../errors.js';

/** The header's `format`: a chunk of any other format (or none) is foreign. */
export const CHUNK_FORMAT = 'policygrad-chunk/1';

/** The longest header accepted, in bytes: headers are a few hundred bytes; a huge one is refused unparsed. */
export const MAX_CHUNK_HEADER_BYTES = 16_384;

type Dtype = 'float32' | 'float64' | 'uint8' | 'uint32';
const BYTES: Record<Dtype, number> = { float32: 4, float64: 8, uint8: 1, uint32: 4 };

/** A decoded chunk: plain typed arrays, each its own buffer (aligned, and no view into the transport's bytes). */
export interface ActorChunk {
  runId: string;
  actorId: string;
  /** The actor's own counter, one per chunk: lets a learner see duplicates and gaps. */
  sequence: number;
  /** The version of the parameters the actor collected the chunk with (behaviour policy μ). */
  policyVersion: number;
  steps: number;
  numEnvs: number;
  observationDim: number;
  actionDim: number;
  /** Entries per action mask (0: the env reports none). */
  maskSize: number;
  /** [T, N, observationDim]: s_t. */
  observations: Float32Array;
  /** [T, N, actionDim]: the policy's raw actions, as a RolloutBuffer stores them. */
  actions: Float32Array;
  /** [T, N]: log μ(a_t|s_t), the behaviour policy's log-probabilities (V-trace's log-ratios need them). */
  logProbs: Float32Array;
  /** [T, N] */
  rewards: Float64Array;
  /** [T, N], 0/1 */
  terminated: Uint8Array;
  /** [T, N], 0/1 */
  truncated: Uint8Array;
  /** [F, observationDim]: the final observation of each step truncated and not terminated, in index order. */
  finalObservations: Float32Array;
  /** [N, observationDim]: each env's observation after the last step (to bootstrap). */
  lastObservations: Float32Array;
  /** [T, N, maskSize] 0/1, or null when maskSize is 0. */
  masks: Uint8Array | null;
  /** [E]: the return of each episode that ended in this chunk, in index order (E = steps terminated or truncated). */
  episodeReturns: Float64Array;
  /** [E]: their lengths in steps (episodes can begin in earlier chunks). */
  episodeLengths: Uint32Array;
}

type TensorName =
  | 'observations'
  | 'actions'
  | 'logProbs'
  | 'rewards'
  | 'terminated'
  | 'truncated'
  | 'finalObservations'
  | 'lastObservations'
  | 'masks'
  | 'episodeReturns'
  | 'episodeLengths';

/** The payload's tensors in order, with their dtypes (`masks` only when maskSize > 0). */
export const CHUNK_TENSORS: readonly (readonly [TensorName, Dtype])[] = [
  ['observations', 'float32'],
  ['actions', 'float32'],
  ['logProbs', 'float32'],
  ['rewards', 'float64'],
  ['terminated', 'uint8'],
  ['truncated', 'uint8'],
  ['finalObservations', 'float32'],
  ['lastObservations', 'float32'],
  ['masks', 'uint8'],
  ['episodeReturns', 'float64'],
  ['episodeLengths', 'uint32'],
];

/** What the learner knows and accepts; a chunk that disagrees is rejected. */
export interface ChunkExpectation {
  runId: string;
  observationDim: number;
  actionDim: number;
  /**
   * Discrete actions: the number of choices of each of the actionDim components (Discrete: [n]; MultiDiscrete:
   * nvec), each action an integer in [0, n). null for Box actions (any finite number).
   */
  actionChoices: readonly number[] | null;
  /** Entries per action mask; 0 when the env reports none. */
  maskSize: number;
  /** The newest version the learner has published: a chunk claiming a later one is not from this run. */
  latestPolicyVersion: number;
  /** Largest steps × envs accepted (default 2^20). */
  maxTransitions?: number;
  /** Largest payload accepted, in bytes (default 64 MiB). */
  maxPayloadBytes?: number;
}

export type ChunkRejectionReason = 'oversized' | 'malformed' | 'foreign' | 'non-finite';

export type ChunkDecodeResult =
  { ok: true; chunk: ActorChunk } | { ok: false; reason: ChunkRejectionReason; message: string };

const DEFAULT_MAX_TRANSITIONS = 1 << 20;
const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const MAX_DIMENSION = 2 ** 31 - 1;

const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
    'letters, digits and . _ : - (at most 64, not starting with a symbol)',
  );
const counter = z.number().int().nonnegative(); // zod's int() is a safe integer
const dimension = z.number().int().nonnegative().max(MAX_DIMENSION);
const tensorSchema = z.strictObject({
  dtype: z.enum(['float32', 'float64', 'uint8', 'uint32']),
  shape: z.array(dimension).min(1).max(3),
});

/** The header's structure; whether its sizes fit the learner's env is checked after. */
export const chunkHeaderSchema = z.strictObject({
  format: z.string(),
  runId: identifier,
  actorId: identifier,
  sequence: counter,
  policyVersion: counter,
  steps: dimension.min(1),
  numEnvs: dimension.min(1),
  observationDim: dimension.min(1),
  actionDim: dimension.min(1),
  maskSize: dimension,
  tensors: z.strictObject({
    observations: tensorSchema,
    actions: tensorSchema,
    logProbs: tensorSchema,
    rewards: tensorSchema,
    terminated: tensorSchema,
    truncated: tensorSchema,
    finalObservations: tensorSchema,
    lastObservations: tensorSchema,
    masks: tensorSchema.optional(),
    episodeReturns: tensorSchema,
    episodeLengths: tensorSchema,
  }),
});

export type ChunkHeader = z.infer<typeof chunkHeaderSchema>;

/** The shape each tensor must have, given the header's sizes and its counts F and E. */
function expectedShapes(h: ChunkHeader): Record<TensorName, number[] | null> {
  const { steps: T, numEnvs: N, observationDim: D, actionDim: A, maskSize: M } = h;
  return {
    observations: [T, N, D],
    actions: [T, N, A],
    logProbs: [T, N],
    rewards: [T, N],
    terminated: [T, N],
    truncated: [T, N],
    finalObservations: [h.tensors.finalObservations.shape[0], D],
    lastObservations: [N, D],
    masks: M > 0 ? [T, N, M] : null,
    episodeReturns: [h.tensors.episodeReturns.shape[0]],
    episodeLengths: [h.tensors.episodeReturns.shape[0]],
  };
}

/** Encodes a chunk for a transport: the JSON header and the payload (the tensors' bytes in `CHUNK_TENSORS` order). */
export function encodeActorChunk(chunk: ActorChunk): { header: string; payload: Uint8Array } {
  const F = chunk.finalObservations.length / chunk.observationDim;
  const E = chunk.episodeReturns.length;
  const shapes: Record<TensorName, number[] | null> = {
    observations: [chunk.steps, chunk.numEnvs, chunk.observationDim],
    actions: [chunk.steps, chunk.numEnvs, chunk.actionDim],
    logProbs: [chunk.steps, chunk.numEnvs],
    rewards: [chunk.steps, chunk.numEnvs],
    terminated: [chunk.steps, chunk.numEnvs],
    truncated: [chunk.steps, chunk.numEnvs],
    finalObservations: [F, chunk.observationDim],
    lastObservations: [chunk.numEnvs, chunk.observationDim],
    masks: chunk.maskSize > 0 ? [chunk.steps, chunk.numEnvs, chunk.maskSize] : null,
    episodeReturns: [E],
    episodeLengths: [E],
  };
  const tensors: Record<string, { dtype: Dtype; shape: number[] }> = {};
  let total = 0;
  for (const [name, dtype] of CHUNK_TENSORS) {
    const shape = shapes[name];
    if (shape === null) continue;
    tensors[name] = { dtype, shape };
    total += (chunk[name] as ArrayBufferView).byteLength;
  }
  const payload = new Uint8Array(total);
  let offset = 0;
  for (const [name] of CHUNK_TENSORS) {
    if (shapes[name] === null) continue;
    const view = chunk[name] as ArrayBufferView;
    payload.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offset);
    offset += view.byteLength;
  }
  const header = {
    format: CHUNK_FORMAT,
    runId: chunk.runId,
    actorId: chunk.actorId,
    sequence: chunk.sequence,
    policyVersion: chunk.policyVersion,
    steps: chunk.steps,
    numEnvs: chunk.numEnvs,
    observationDim: chunk.observationDim,
    actionDim: chunk.actionDim,
    maskSize: chunk.maskSize,
    tensors,
  };
  return { header: JSON.stringify(header), payload };
}

class Rejection {
  constructor(
    readonly reason: ChunkRejectionReason,
    readonly message: string,
  ) {}
}

function reject(reason: ChunkRejectionReason, message: string): never {
  throw new Rejection(reason, message);
}

/**
 * Validates and decodes a chunk received from a transport. Never throws: a chunk that is malformed, oversized,
 * carries a non-finite number or belongs to another run (or format) comes back as `{ ok: false, reason, message }`.
 */
export function decodeActorChunk(
  header: unknown,
  payload: unknown,
  expectation: ChunkExpectation,
): ChunkDecodeResult {
  try {
    const parsed = parseHeader(header, expectation);
    return { ok: true, chunk: decodePayload(parsed, payload, expectation) };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, reason: error.reason, message: error.message };
    // A bug of ours, not the sender's: still a rejection (the learner goes on), but say so.
    return { ok: false, reason: 'malformed', message: `chunk could not be decoded: ${String(error)}` };
  }
}

function parseHeader(raw: unknown, expectation: ChunkExpectation): ChunkHeader {
  if (!(typeof raw === 'string' || raw instanceof Uint8Array))
    reject('malformed', 'chunk header is not text');
  const size = typeof raw === 'string' ? raw.length : raw.byteLength;
  if (size > MAX_CHUNK_HEADER_BYTES) {
    reject('oversized', `chunk header has ${size} bytes; at most ${MAX_CHUNK_HEADER_BYTES} are accepted`);
  }
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    reject('malformed', 'chunk header is not UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    reject('malformed', 'chunk header is not JSON');
  }
  const format =
    json !== null && typeof json === 'object' ? (json as Record<string, unknown>).format : undefined;
  if (format !== CHUNK_FORMAT) {
    reject('foreign', `chunk format ${describeValue(format)} is not '${CHUNK_FORMAT}'`);
  }
  const result = chunkHeaderSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    reject(
      'malformed',
      `chunk header field '${issue.path.map(String).join('.')}' is invalid: ${issue.message}`,
    );
  }
  const h = result.data;
  if (h.runId !== expectation.runId) {
    reject(
      'foreign',
      `chunk of run ${describeValue(h.runId)}, not of this run ${describeValue(expectation.runId)}`,
    );
  }
  if (h.policyVersion > expectation.latestPolicyVersion) {
    reject(
      'foreign',
      `chunk claims policy version ${h.policyVersion}; the newest published is ${expectation.latestPolicyVersion}`,
    );
  }
  for (const key of ['observationDim', 'actionDim', 'maskSize'] as const) {
    if (h[key] !== expectation[key]) {
      reject('malformed', `chunk ${key} is ${h[key]}; this run's env has ${expectation[key]}`);
    }
  }
  const maxTransitions = expectation.maxTransitions ?? DEFAULT_MAX_TRANSITIONS;
  if (h.steps * h.numEnvs > maxTransitions) {
    reject('oversized', `chunk has ${h.steps} × ${h.numEnvs} steps; at most ${maxTransitions} are accepted`);
  }
  const shapes = expectedShapes(h);
  for (const [name, dtype] of CHUNK_TENSORS) {
    const declared = h.tensors[name];
    const shape = shapes[name];
    if (shape === null || declared === undefined) {
      if ((shape === null) !== (declared === undefined)) {
        reject(
          'malformed',
          `chunk tensor '${name}' ${shape === null ? 'is present without' : 'is missing with'} masks`,
        );
      }
      continue;
    }
    if (declared.dtype !== dtype) {
      reject('malformed', `chunk tensor '${name}' has dtype ${declared.dtype}; expected ${dtype}`);
    }
    if (declared.shape.length !== shape.length || declared.shape.some((d, k) => d !== shape[k])) {
      reject('malformed', `chunk tensor '${name}' has shape [${declared.shape}]; expected [${shape}]`);
    }
  }
  return h;
}

function decodePayload(h: ChunkHeader, payload: unknown, expectation: ChunkExpectation): ActorChunk {
  if (!(payload instanceof Uint8Array)) reject('malformed', 'chunk payload is not bytes');
  const shapes = expectedShapes(h);
  let expectedBytes = 0;
  for (const [name, dtype] of CHUNK_TENSORS) {
    const shape = shapes[name];
    if (shape !== null) expectedBytes += shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
  }
  const maxBytes = expectation.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (expectedBytes > maxBytes || payload.byteLength > maxBytes) {
    reject(
      'oversized',
      `chunk payload of ${Math.max(expectedBytes, payload.byteLength)} bytes; at most ${maxBytes}`,
    );
  }
  if (payload.byteLength !== expectedBytes) {
    reject(
      'malformed',
      `chunk payload has ${payload.byteLength} bytes; its header describes ${expectedBytes}`,
    );
  }

  let offset = 0;
  const take = <A extends Float32Array | Float64Array | Uint8Array | Uint32Array>(
    name: TensorName,
    make: (length: number) => A,
  ): A => {
    const shape = shapes[name] as number[];
    const array = make(shape.reduce((a, b) => a * b, 1));
    new Uint8Array(array.buffer).set(payload.subarray(offset, offset + array.byteLength));
    offset += array.byteLength;
    return array;
  };
  const chunk: ActorChunk = {
    runId: h.runId,
    actorId: h.actorId,
    sequence: h.sequence,
    policyVersion: h.policyVersion,
    steps: h.steps,
    numEnvs: h.numEnvs,
    observationDim: h.observationDim,
    actionDim: h.actionDim,
    maskSize: h.maskSize,
    observations: take('observations', (n) => new Float32Array(n)),
    actions: take('actions', (n) => new Float32Array(n)),
    logProbs: take('logProbs', (n) => new Float32Array(n)),
    rewards: take('rewards', (n) => new Float64Array(n)),
    terminated: take('terminated', (n) => new Uint8Array(n)),
    truncated: take('truncated', (n) => new Uint8Array(n)),
    finalObservations: take('finalObservations', (n) => new Float32Array(n)),
    lastObservations: take('lastObservations', (n) => new Float32Array(n)),
    masks: h.maskSize > 0 ? take('masks', (n) => new Uint8Array(n)) : null,
    episodeReturns: take('episodeReturns', (n) => new Float64Array(n)),
    episodeLengths: take('episodeLengths', (n) => new Uint32Array(n)),
  };
  checkContents(chunk, expectation);
  return chunk;
}

function checkContents(chunk: ActorChunk, expectation: ChunkExpectation): void {
  for (const name of [
    'observations',
    'actions',
    'logProbs',
    'rewards',
    'finalObservations',
    'lastObservations',
    'episodeReturns',
  ] as const) {
    const values = chunk[name];
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k]))
        reject('non-finite', `chunk ${name}[${k}] is ${describeValue(values[k])}`);
    }
  }
  let ended = 0;
  let cut = 0;
  for (let k = 0; k < chunk.terminated.length; k++) {
    const [term, trunc] = [chunk.terminated[k], chunk.truncated[k]];
    if (term > 1 || trunc > 1) reject('malformed', `chunk terminated/truncated[${k}] is not 0 or 1`);
    if (term || trunc) ended++;
    if (trunc && !term) cut++;
  }
  if (cut * chunk.observationDim !== chunk.finalObservations.length) {
    reject(
      'malformed',
      `chunk has ${cut} truncated steps but ${chunk.finalObservations.length / chunk.observationDim} final observations`,
    );
  }
  if (chunk.episodeReturns.length !== ended) {
    reject('malformed', `chunk ends ${ended} episodes but reports ${chunk.episodeReturns.length}`);
  }
  for (let e = 0; e < chunk.episodeLengths.length; e++) {
    if (chunk.episodeLengths[e] === 0) reject('malformed', `chunk episodeLengths[${e}] is 0`);
  }
  checkActions(chunk, expectation.actionChoices);
  if (chunk.masks !== null) checkMasks(chunk.masks, chunk.maskSize, expectation.actionChoices);
}

function checkActions(chunk: ActorChunk, choices: readonly number[] | null): void {
  if (choices === null) return; // Box: any finite number (already checked)
  const A = chunk.actionDim;
  for (let k = 0; k < chunk.actions.length; k++) {
    const a = chunk.actions[k];
    const n = choices[k % A];
    if (!Number.isInteger(a) || a < 0 || a >= n) {
      reject('malformed', `chunk actions[${k}] = ${describeValue(a)} is not an integer in [0, ${n})`);
    }
  }
}

/** Each mask must allow at least one choice (of every component, for MultiDiscrete: masks are per component). */
function checkMasks(masks: Uint8Array, size: number, choices: readonly number[] | null): void {
  const segments = choices !== null && choices.reduce((a, b) => a + b, 0) === size ? choices : [size];
  let j = 0;
  while (j < masks.length) {
    for (const [component, length] of segments.entries()) {
      let allowed = 0;
      for (const end = j + length; j < end; j++) {
        if (masks[j] > 1) reject('malformed', `chunk masks[${j}] is not 0 or 1`);
        allowed += masks[j];
      }
      if (allowed === 0) {
        reject(
          'malformed',
          `chunk mask ending at masks[${j - 1}] allows no action of component ${component}`,
        );
      }
    }
  }
}
