/**
 * The actor → learner chunk message (src/algos/actor-chunk.ts): a valid chunk round-trips bit for bit (also from
 * an unaligned Node Buffer, as a Redis client hands it over); every malformed, oversized, NaN-carrying or foreign
 * chunk comes back as a rejection with its reason and one line, never an exception; and seeded random corruption
 * of header and payload never throws nor lets a non-finite number through.
 */
import { describe, expect, it } from 'vitest';
import {
  type ActorChunk,
  type ChunkExpectation,
  CHUNK_FORMAT,
  CHUNK_TENSORS,
  decodeActorChunk,
  encodeActorChunk,
  MAX_CHUNK_HEADER_BYTES,
  Rng,
} from '../src/internal.js';

const T = 3;
const N = 2;
const D = 4;

/** Discrete(3) actions with masks; env 0 truncated at t = 1, env 1 terminated at t = 2. */
function validChunk(): ActorChunk {
  const n = T * N;
  const terminated = new Uint8Array(n);
  const truncated = new Uint8Array(n);
  truncated[1 * N + 0] = 1;
  terminated[2 * N + 1] = 1;
  return {
    runId: 'run-7',
    actorId: 'host-a:1',
    sequence: 12,
    policyVersion: 40,
    steps: T,
    numEnvs: N,
    observationDim: D,
    actionDim: 1,
    maskSize: 3,
    observations: Float32Array.from({ length: n * D }, (_, k) => k / 7 - 1),
    actions: Float32Array.from([0, 2, 1, 1, 2, 0]),
    logProbs: Float32Array.from([-0.5, -1.25, -0.75, -2, -0.125, -3]),
    rewards: Float64Array.from([1, 0.5, -1, 2, 0.1, 1e-300]),
    terminated,
    truncated,
    finalObservations: Float32Array.from([9, 8, 7, 6]),
    lastObservations: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
    masks: Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1]),
    episodeReturns: Float64Array.from([10.5, -3]),
    episodeLengths: Uint32Array.from([200, 17]),
  };
}

const expectation: ChunkExpectation = {
  runId: 'run-7',
  observationDim: D,
  actionDim: 1,
  actionChoices: [3],
  maskSize: 3,
  latestPolicyVersion: 41,
};

function decode(header: unknown, payload: unknown, expect: ChunkExpectation = expectation) {
  return decodeActorChunk(header, payload, expect);
}

/** The encoded chunk with the header's JSON edited by `edit`. */
function withHeader(edit: (header: Record<string, unknown>) => void, chunk = validChunk()) {
  const { header, payload } = encodeActorChunk(chunk);
  const json = JSON.parse(header) as Record<string, unknown>;
  edit(json);
  return { header: JSON.stringify(json), payload };
}

function expectRejected(result: ReturnType<typeof decode>, reason: string, message: RegExp) {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) return;
  expect(result.reason).toBe(reason);
  expect(result.message).toMatch(message);
  expect(result.message).not.toContain('\n');
}

describe('actor chunks: encode and decode', () => {
  it('round-trips every field bit for bit', () => {
    const chunk = validChunk();
    const { header, payload } = encodeActorChunk(chunk);
    expect(JSON.parse(header).format).toBe(CHUNK_FORMAT);
    const result = decode(header, payload);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.chunk).toEqual(chunk);
  });

  it('the header declares every tensor’s dtype and shape, in the payload’s order', () => {
    const header = JSON.parse(encodeActorChunk(validChunk()).header);
    expect(Object.keys(header.tensors)).toEqual(CHUNK_TENSORS.map(([name]) => name));
    expect(header.tensors.observations).toEqual({ dtype: 'float32', shape: [T, N, D] });
    expect(header.tensors.rewards).toEqual({ dtype: 'float64', shape: [T, N] });
    expect(header.tensors.finalObservations).toEqual({ dtype: 'float32', shape: [1, D] });
    expect(header.tensors.episodeLengths).toEqual({ dtype: 'uint32', shape: [2] });
  });

  it('decodes from an unaligned Node Buffer and a byte header (as a Redis client returns them)', () => {
    const { header, payload } = encodeActorChunk(validChunk());
    const unaligned = Buffer.concat([Buffer.from([0]), Buffer.from(payload)]).subarray(1);
    expect(unaligned.byteOffset % 8).not.toBe(0);
    const result = decode(Buffer.from(header, 'utf8'), unaligned);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.chunk).toEqual(validChunk());
  });

  it('chunks without masks, with Box actions, MultiDiscrete masks per component', () => {
    const box = {
      ...validChunk(),
      maskSize: 0,
      masks: null,
      actions: Float32Array.from([0.5, -3, 2, 1e6, 0, 7]),
    };
    const boxExpectation = { ...expectation, maskSize: 0, actionChoices: null };
    const encoded = encodeActorChunk(box);
    expect(JSON.parse(encoded.header).tensors.masks).toBeUndefined();
    const result = decode(encoded.header, encoded.payload, boxExpectation);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.chunk).toEqual(box);

    // MultiDiscrete([2, 3]): masks are 2 + 3 entries per step; each component must allow something.
    const md = { ...validChunk(), actionDim: 2, maskSize: 5 };
    md.actions = Float32Array.from({ length: T * N * 2 }, (_, k) => (k % 2 === 0 ? 1 : 2));
    md.masks = new Uint8Array(T * N * 5).fill(1);
    const mdExpectation = { ...expectation, actionDim: 2, maskSize: 5, actionChoices: [2, 3] };
    expect(decode(encodeActorChunk(md).header, encodeActorChunk(md).payload, mdExpectation).ok).toBe(true);
    md.masks.fill(0, 7, 10); // step 1: component 1 (entries 7, 8, 9) allows nothing, component 0 does
    const rejected = decode(encodeActorChunk(md).header, encodeActorChunk(md).payload, mdExpectation);
    expectRejected(rejected, 'malformed', /masks\[9\] allows no action of component 1/);
  });
});

describe('actor chunks: what is rejected, and why', () => {
  it('foreign: another format, none, another run, a version the learner never published', () => {
    let c = withHeader((h) => (h.format = 'policygrad-chunk/2'));
    expectRejected(
      decode(c.header, c.payload),
      'foreign',
      /format "policygrad-chunk\/2" is not 'policygrad-chunk\/1'/,
    );
    c = withHeader((h) => delete h.format);
    expectRejected(decode(c.header, c.payload), 'foreign', /format undefined/);
    expectRejected(decode('[1, 2]', new Uint8Array(0)), 'foreign', /format undefined/);
    c = withHeader((h) => (h.runId = 'run-8'));
    expectRejected(decode(c.header, c.payload), 'foreign', /run "run-8", not of this run "run-7"/);
    c = withHeader((h) => (h.policyVersion = 42));
    expectRejected(decode(c.header, c.payload), 'foreign', /policy version 42; the newest published is 41/);
  });

  it('malformed headers: not text, not UTF-8, not JSON, wrong types, unknown keys, bad ids', () => {
    const { payload } = encodeActorChunk(validChunk());
    expectRejected(decode(42, payload), 'malformed', /header is not text/);
    expectRejected(decode(null, payload), 'malformed', /header is not text/);
    expectRejected(decode(Uint8Array.from([0xff, 0xfe, 0x7b]), payload), 'malformed', /not UTF-8/);
    expectRejected(decode('{"format": ', payload), 'malformed', /not JSON/);
    const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
      [(h) => (h.sequence = -1), /'sequence'/],
      [(h) => (h.steps = 2.5), /'steps'/],
      [(h) => (h.steps = '3'), /'steps'/],
      [(h) => (h.policyVersion = 2 ** 60), /'policyVersion'/],
      [(h) => (h.extra = 1), /Unrecognized key/i],
      [(h) => (h.actorId = '../../etc'), /'actorId'/],
      [(h) => (h.runId = 'x'.repeat(65)), /'runId'/],
      [
        (h) => ((h.tensors as Record<string, unknown>).rewards = { dtype: 'int64', shape: [T, N] }),
        /'tensors.rewards.dtype'/,
      ],
      [(h) => delete (h.tensors as Record<string, unknown>).logProbs, /'tensors.logProbs'/],
    ];
    for (const [edit, message] of cases) {
      const c = withHeader(edit);
      expectRejected(decode(c.header, c.payload), 'malformed', message);
    }
  });

  it('malformed: shapes or dtypes that do not fit the run’s env or the header’s own sizes', () => {
    const tensors = (h: Record<string, unknown>) =>
      h.tensors as Record<string, { dtype: string; shape: number[] }>;
    const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
      [(h) => (h.observationDim = 5), /observationDim is 5; this run's env has 4/],
      [(h) => (h.actionDim = 2), /actionDim is 2; this run's env has 1/],
      [(h) => (h.maskSize = 0), /maskSize is 0; this run's env has 3/],
      [
        (h) => (tensors(h).observations.dtype = 'float64'),
        /'observations' has dtype float64; expected float32/,
      ],
      [
        (h) => (tensors(h).observations.shape = [T, N, 5]),
        /'observations' has shape \[3,2,5\]; expected \[3,2,4\]/,
      ],
      [(h) => (tensors(h).rewards.shape = [T * N]), /'rewards' has shape \[6\]; expected \[3,2\]/],
      [(h) => (tensors(h).episodeLengths.shape = [3]), /'episodeLengths' has shape \[3\]; expected \[2\]/],
    ];
    for (const [edit, message] of cases) {
      const c = withHeader(edit);
      expectRejected(decode(c.header, c.payload), 'malformed', message);
    }
    const noMasks = { ...expectation, maskSize: 0 };
    const extra = withHeader((h) => (h.maskSize = 0));
    expectRejected(
      decode(extra.header, extra.payload, noMasks),
      'malformed',
      /'masks' is present without masks/,
    );
    const missing = withHeader((h) => delete tensors(h).masks);
    expectRejected(decode(missing.header, missing.payload), 'malformed', /'masks' is missing with masks/);
  });

  it('malformed payloads: a byte short or long, not bytes', () => {
    const { header, payload } = encodeActorChunk(validChunk());
    expectRejected(
      decode(header, payload.subarray(1)),
      'malformed',
      /payload has \d+ bytes; its header describes/,
    );
    const longer = new Uint8Array(payload.length + 1);
    longer.set(payload);
    expectRejected(decode(header, longer), 'malformed', /payload has \d+ bytes; its header describes/);
    expectRejected(decode(header, 'bytes'), 'malformed', /payload is not bytes/);
    expectRejected(decode(header, Array.from(payload)), 'malformed', /payload is not bytes/);
  });

  it('malformed contents: flags, actions outside the space, empty masks, counts that disagree with the flags', () => {
    const cases: [(c: ActorChunk) => void, RegExp][] = [
      [(c) => (c.terminated[0] = 2), /terminated\/truncated\[0\] is not 0 or 1/],
      [(c) => (c.actions[3] = 3), /actions\[3\] = 3 is not an integer in \[0, 3\)/],
      [(c) => (c.actions[3] = -1), /actions\[3\] = -1 is not an integer/],
      [(c) => (c.actions[3] = 0.5), /actions\[3\] = 0.5 is not an integer/],
      [(c) => c.masks?.fill(0, 6, 9), /mask ending at masks\[8\] allows no action/],
      [(c) => ((c.masks as Uint8Array)[4] = 7), /masks\[4\] is not 0 or 1/],
      [(c) => (c.episodeLengths[1] = 0), /episodeLengths\[1\] is 0/],
      // a second truncation with no final observation for it
      [(c) => (c.truncated[0] = 1), /2 truncated steps but 1 final observations/],
      // an episode ended (terminated) without a reported return; flags and final observations still agree
      [(c) => (c.terminated[1] = 1), /ends 3 episodes but reports 2/],
    ];
    for (const [edit, message] of cases) {
      const chunk = validChunk();
      edit(chunk);
      const { header, payload } = encodeActorChunk(chunk);
      expectRejected(decode(header, payload), 'malformed', message);
    }
  });

  it('non-finite: NaN or ±Infinity anywhere among the floats', () => {
    const cases: [(c: ActorChunk) => void, RegExp][] = [
      [(c) => (c.observations[5] = Number.NaN), /observations\[5\] is NaN/],
      [(c) => (c.actions[0] = Number.NaN), /actions\[0\] is NaN/],
      [(c) => (c.logProbs[2] = -Infinity), /logProbs\[2\] is -Infinity/],
      [(c) => (c.rewards[4] = Infinity), /rewards\[4\] is Infinity/],
      [(c) => (c.finalObservations[1] = Number.NaN), /finalObservations\[1\] is NaN/],
      [(c) => (c.lastObservations[7] = Number.NaN), /lastObservations\[7\] is NaN/],
      [(c) => (c.episodeReturns[0] = Number.NaN), /episodeReturns\[0\] is NaN/],
    ];
    for (const [edit, message] of cases) {
      const chunk = validChunk();
      edit(chunk);
      const { header, payload } = encodeActorChunk(chunk);
      expectRejected(decode(header, payload), 'non-finite', message);
    }
    // Box actions: NaN is refused even though any finite value is accepted.
    const box = { ...validChunk(), maskSize: 0, masks: null };
    box.actions[1] = Number.NaN;
    const { header, payload } = encodeActorChunk(box);
    expectRejected(
      decode(header, payload, { ...expectation, maskSize: 0, actionChoices: null }),
      'non-finite',
      /actions\[1\] is NaN/,
    );
  });

  it('oversized: a huge header, too many steps, a payload over the limit — refused before allocating', () => {
    const { header, payload } = encodeActorChunk(validChunk());
    const padded = header.slice(0, -1) + `,"pad":"${'x'.repeat(MAX_CHUNK_HEADER_BYTES)}"}`;
    expectRejected(decode(padded, payload), 'oversized', /header has \d+ bytes; at most 16384/);

    // 2^31 − 1 steps of 2 envs would be ~100 GB: the header alone decides, against an empty payload.
    const huge = withHeader((h) => {
      const tensors = h.tensors as Record<string, { shape: number[] }>;
      h.steps = 2 ** 31 - 1;
      for (const name of [
        'observations',
        'actions',
        'logProbs',
        'rewards',
        'terminated',
        'truncated',
        'masks',
      ]) {
        tensors[name].shape[0] = 2 ** 31 - 1;
      }
    });
    expectRejected(
      decode(huge.header, new Uint8Array(0)),
      'oversized',
      /2147483647 × 2 steps; at most 1048576/,
    );

    // Within maxTransitions, but its final observations alone would need 8 GB.
    const finals = withHeader(
      (h) => ((h.tensors as Record<string, { shape: number[] }>).finalObservations.shape[0] = 2 ** 29),
    );
    expectRejected(
      decode(finals.header, new Uint8Array(0)),
      'oversized',
      /payload of \d+ bytes; at most 67108864/,
    );

    expectRejected(
      decode(header, payload, { ...expectation, maxPayloadBytes: payload.length - 1 }),
      'oversized',
      /at most/,
    );
    expectRejected(
      decode(header, payload, { ...expectation, maxTransitions: T * N - 1 }),
      'oversized',
      /at most 5/,
    );
    expect(
      decode(header, payload, { ...expectation, maxPayloadBytes: payload.length, maxTransitions: T * N }).ok,
    ).toBe(true);
  });

  it('a payload that throws when read (a hostile object, or a bug of ours) is still only a rejection', () => {
    const { header, payload } = encodeActorChunk(validChunk());
    class Hostile extends Uint8Array {
      override subarray(): never {
        throw new Error('boom');
      }
    }
    const hostile = new Hostile(payload.length);
    hostile.set(payload);
    expectRejected(decode(header, hostile), 'malformed', /chunk could not be decoded: Error: boom/);
  });

  it('random corruption of header and payload never throws and never lets a non-finite number through', () => {
    // 2,000 seeded corruptions: flip 1–4 bytes of the header or the payload (or truncate either).
    const rng = Rng.fromSeed(17);
    const { header, payload } = encodeActorChunk(validChunk());
    const headerBytes = new TextEncoder().encode(header);
    let accepted = 0;
    const reasons = new Map<string, number>();
    for (let trial = 0; trial < 2000; trial++) {
      const h = headerBytes.slice();
      const p = payload.slice();
      const target = rng.uniform() < 0.3 ? h : p;
      for (let flips = rng.integer(1, 5); flips > 0; flips--) {
        // Half the writes are 0xff, which sets a float's exponent bits: NaN and ±Infinity come up often.
        target[rng.integer(0, target.length)] = rng.uniform() < 0.5 ? 0xff : rng.integer(0, 256);
      }
      const cut = rng.uniform() < 0.1;
      const result = decode(
        cut && target === h ? h.subarray(0, rng.integer(0, h.length)) : h,
        cut && target === p ? p.subarray(0, rng.integer(0, p.length)) : p,
      );
      if (result.ok) {
        accepted++;
        const c = result.chunk;
        for (const values of [
          c.observations,
          c.actions,
          c.logProbs,
          c.rewards,
          c.finalObservations,
          c.lastObservations,
          c.episodeReturns,
        ]) {
          expect(values.every(Number.isFinite)).toBe(true);
        }
        expect(c.runId).toBe('run-7');
      } else {
        reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
      }
    }
    // Flipped float bytes often stay finite (accepted: a transport checksum is not this module's job); the rest
    // must be refused for one of the four reasons.
    if (process.env.REPORT_FUZZ) console.log({ accepted, reasons });
    expect(accepted).toBeGreaterThan(0);
    expect(
      [...reasons.keys()].every((r) => ['malformed', 'foreign', 'non-finite', 'oversized'].includes(r)),
    ).toBe(true);
    expect(reasons.get('malformed')).toBeGreaterThan(0);
    expect(reasons.get('non-finite')).toBeGreaterThan(0);
  });
});
