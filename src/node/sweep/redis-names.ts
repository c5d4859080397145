/**
 * A sweep's names on Redis (its queue, keys and ids) and the packages it needs (bullmq, ioredis: optional peer
 * dependencies). Reaching the server (URL, password, TLS, retries) is src/node/redis-connection.ts, shared with
 * IMPALA/APPO.
 */
import type * as Bullmq from 'bullmq';
import { type Ioredis, KEY_PREFIX, missingPackages } from '../redis-connection.js';

/** The one queue every sweep's trials go to; a worker serves any sweep. */
export const QUEUE_NAME = 'trials';

export interface RedisPackages {
  bullmq: typeof Bullmq;
  ioredis: Ioredis;
}

/** bullmq and ioredis, or one line saying how to install them. */
export async function loadRedisPackages(command: string): Promise<RedisPackages> {
  try {
    const [bullmq, ioredis] = await Promise.all([import('bullmq'), import('ioredis')]);
    return { bullmq, ioredis };
  } catch (error) {
    throw missingPackages(error, command, ['bullmq', 'ioredis'], 'for sweeps on several machines');
  }
}

/** Our own keys of one sweep (BullMQ's keys live under `policygrad:trials:`). */
export function sweepKeys(sweepId: string) {
  const base = `${KEY_PREFIX}:sweep:${sweepId}`;
  return {
    /** A stream of the trials' events, read by the submitting side. */
    events: `${base}:events`,
    /** The latest checkpoint of a trial (JSON), for the worker that takes the trial over. */
    checkpoint: (trial: string) => `${base}:checkpoint:${trial}`,
    /** Set by the submitting side on Ctrl-C: running trials checkpoint and stop. */
    stop: `${base}:stop`,
    /** Set by the submitting side when early stopping prunes a trial. */
    stopTrial: (trial: string) => `${base}:stop:${trial}`,
    /**
     * Set by the submitting side when it has read a trial's row (at `step`) that reached an early-stopping rung:
     * `continue`, `prune`, or `pending` (nothing to judge yet: the trial's next row carries the rung again).
     */
    verdict: (trial: string, step: number) => `${base}:verdict:${trial}:${step}`,
  };
}

/** A trial's job id: its sweep and trial ids. */
export function jobId(sweepId: string, trial: string): string {
  return `${sweepId}.${trial}`;
}
