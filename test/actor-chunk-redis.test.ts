/**
 * Actor chunks through a Redis Stream, as the learner will read them (issue 17 §2–3): entries of a valid chunk and
 * of bad ones (malformed, NaN-carrying, foreign, oversized, missing fields) written with XADD, read back with
 * XREADGROUP as bytes, decoded, counted by reason and acknowledged; only the valid chunk comes out, equal to what
 * was sent.
 */
import { describe, expect, it } from 'vitest';
import {
  type ActorChunk,
  type ChunkExpectation,
  decodeActorChunk,
  encodeActorChunk,
} from '../src/internal.js';
import { redisAvailable, useRedisServer } from './redis-server.js';

const available = redisAvailable();

function chunk(runId: string): ActorChunk {
  const terminated = Uint8Array.from([0, 0, 1, 0]);
  return {
    runId,
    actorId: 'actor-1',
    sequence: 0,
    policyVersion: 3,
    steps: 2,
    numEnvs: 2,
    observationDim: 2,
    actionDim: 1,
    maskSize: 0,
    observations: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
    actions: Float32Array.from([0, 1, 1, 0]),
    logProbs: Float32Array.from([-0.7, -0.6, -0.8, -0.69]),
    rewards: Float64Array.from([1, 1, 1, 1]),
    terminated,
    truncated: new Uint8Array(4),
    finalObservations: new Float32Array(0),
    lastObservations: Float32Array.from([1, 2, 3, 4]),
    masks: null,
    episodeReturns: Float64Array.from([9]),
    episodeLengths: Uint32Array.from([9]),
  };
}

const expectation: ChunkExpectation = {
  runId: 'run-a',
  observationDim: 2,
  actionDim: 1,
  actionChoices: [2],
  maskSize: 0,
  latestPolicyVersion: 3,
  maxPayloadBytes: 4096,
};

describe.skipIf(!available)('actor chunks on a Redis Stream', () => {
  const context = useRedisServer();

  it('the learner decodes the valid entry and drops each bad one with its reason', async () => {
    const redis = context.client;
    const stream = 'run-a:chunks';
    await redis.xgroup('CREATE', stream, 'learner', '0', 'MKSTREAM');
    const good = encodeActorChunk(chunk('run-a'));
    const nan = chunk('run-a');
    nan.rewards[1] = Number.NaN;
    const foreign = encodeActorChunk(chunk('run-b'));
    const add = (...fields: (string | Buffer)[]) => redis.xadd(stream, '*', ...fields);
    await add('header', good.header, 'payload', Buffer.from(good.payload));
    await add('header', good.header, 'payload', Buffer.from(good.payload.subarray(3))); // malformed: short
    await add('header', encodeActorChunk(nan).header, 'payload', Buffer.from(encodeActorChunk(nan).payload));
    await add('header', foreign.header, 'payload', Buffer.from(foreign.payload));
    await add('header', good.header, 'payload', Buffer.alloc(8192)); // oversized
    await add('header', '{not json', 'payload', Buffer.from(good.payload));
    await add('payload', Buffer.from(good.payload)); // no header field at all

    const reply = (await redis.xreadgroupBuffer(
      'GROUP',
      'learner',
      'l1',
      'COUNT',
      100,
      'STREAMS',
      stream,
      '>',
    )) as [Buffer, [Buffer, Buffer[]][]][];
    const entries = reply[0][1];
    expect(entries).toHaveLength(7);
    const decoded: ActorChunk[] = [];
    const rejected: Record<string, number> = {};
    for (const [id, fields] of entries) {
      const field = (name: string) => {
        const k = fields.findIndex((f, j) => j % 2 === 0 && f.toString() === name);
        return k < 0 ? undefined : fields[k + 1];
      };
      const result = decodeActorChunk(field('header'), field('payload'), expectation);
      if (result.ok) decoded.push(result.chunk);
      else rejected[result.reason] = (rejected[result.reason] ?? 0) + 1;
      await redis.xack(stream, 'learner', id);
    }
    expect(decoded).toEqual([chunk('run-a')]);
    expect(rejected).toEqual({ malformed: 3, 'non-finite': 1, foreign: 1, oversized: 1 });
    expect(((await redis.xpending(stream, 'learner')) as [number])[0]).toBe(0);
  });
});
