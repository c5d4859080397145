/** Entry point of an A3C worker thread (Node): runs one `A3CWorker` on the shared buffers it is given. */
import { parentPort, workerData } from 'node:worker_threads';
import { type A3CReport, type A3CResolvedConfig, type A3CSharedBuffers, A3CWorker } from '../algos/a3c.js';
import { loadEnvEngine } from '../envs/load-engine.js';
// A thread starts with an empty env registry: this import registers every built-in env (classic, Box2D, MuJoCo).
import '../envs/builtin.js';
import { importInWorker } from './env-modules.js';

interface A3CWorkerData {
  config: A3CResolvedConfig;
  shared: A3CSharedBuffers;
  index: number;
  until: number;
  start: number;
  /** Resolved module URLs or package names that register the user's envs (registrations are per thread). */
  envModules: string[];
}

const data = workerData as A3CWorkerData;
const importFailure = await importInWorker(data.envModules);
if (importFailure !== null) parentPort?.postMessage({ importFailure });
else {
  await loadEnvEngine(data.config.env); // engines (MuJoCo, Box2D) are per thread, like registrations
  const worker = new A3CWorker(data.config, data.shared, data.index);
  worker.run(data.until, data.start, (report: A3CReport) => parentPort?.postMessage(report));
}
