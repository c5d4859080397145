/**
 * `policygrad worker --redis URL`: serves the trial queue of every sweep submitted with `sweep --redis` to that
 * server, until Ctrl-C (running trials then checkpoint and go back on the queue for another worker).
 */
import { availableParallelism } from 'node:os';
import { connectWithRetry, parseRedisUrl, type RedisTlsFlags, tlsFilesOf } from '../node/redis-connection.js';
import { loadRedisPackages } from '../node/sweep/redis-names.js';
import { SweepWorker } from '../node/sweep/worker.js';
import { handlingSignals } from './signals.js';

export interface WorkerCommandOptions extends RedisTlsFlags {
  redis: string;
  concurrency?: number;
  lockSeconds: number;
  /** Resolved module URLs (`--import`), imported by every trial process. */
  import?: string[];
}

export async function runWorker(options: WorkerCommandOptions, say: (line: string) => void): Promise<void> {
  const packages = await loadRedisPackages('policygrad worker');
  const target = parseRedisUrl(options.redis, process.env, tlsFilesOf(options));
  const client = await connectWithRetry(packages.ioredis, target, say);
  const concurrency = options.concurrency ?? availableParallelism();
  const worker = new SweepWorker(packages, target, client, {
    concurrency,
    lockSeconds: options.lockSeconds,
    imports: options.import ?? [],
    say,
  });
  say(
    `policygrad worker: taking sweep trials from ${target.describe}, ${concurrency} at a time (Ctrl-C: checkpoint running trials and hand them back)`,
  );
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: checkpointing running trials and handing them back to the queue`);
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    void worker.shutdown();
  };
  try {
    await handlingSignals(onSignal, () => worker.done);
  } finally {
    await client.quit();
  }
}
