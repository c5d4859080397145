/** Entry point of an A3C worker thread (Node): runs one `A3CWorker` on the shared buffers it is given. */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type A3CReport,
  type A3CResolvedConfig,
  type A3CSharedBuffers,
  A3CWorker,
  loadEnvEngine,
} from '../index.js';

interface A3CWorkerData {
  config: A3CResolvedConfig;
  shared: A3CSharedBuffers;
  index: number;
  until: number;
  start: number;
  setupModule: string | null;
}

const data = workerData as A3CWorkerData;
// A module that registers the user's own environments in this thread (registrations are per thread).
if (data.setupModule !== null) await import(data.setupModule);
await loadEnvEngine(data.config.env); // engines (MuJoCo) are per thread, like registrations
const worker = new A3CWorker(data.config, data.shared, data.index);
worker.run(data.until, data.start, (report: A3CReport) => parentPort?.postMessage(report));
