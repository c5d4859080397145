/**
 * `policygrad actor --redis URL --run-id R [--envs N] [--import M]`: an IMPALA/APPO actor for a learner started
 * with `policygrad train --algo appo|impala --redis URL --run-id R`, on this machine or any other. It exits when
 * the learner marks the run done, or on SIGINT/SIGTERM after its current chunk.
 */
import { parseRedisUrl, type RedisTlsFlags, tlsFilesOf } from '../node/redis-connection.js';
import { RedisActor } from '../node/redis-actor.js';
import { handlingSignals } from './signals.js';

export interface ActorCommandOptions extends RedisTlsFlags {
  redis: string;
  runId: string;
  envs?: number;
}

export async function runActor(options: ActorCommandOptions, log = (line: string) => console.log(line)) {
  const target = parseRedisUrl(options.redis, process.env, tlsFilesOf(options));
  const actor = new RedisActor({ target, runId: options.runId, envs: options.envs, log });
  const onSignal = () => actor.stop();
  // Started by `policygrad train --redis … --actors K`: stop when that learner goes, however it ends.
  if (process.channel !== undefined) {
    process.channel.unref();
    process.once('disconnect', onSignal);
  }
  const { chunks, steps, reason } = await handlingSignals(onSignal, () => actor.run());
  log(
    `actor ${reason === 'done' ? 'done: the run is finished' : 'stopped'}; sent ${chunks} chunks (${steps.toLocaleString('en-US')} env steps)`,
  );
}
