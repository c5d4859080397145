/**
 * A seed worker thread (started by src/node/seed-threads.ts): takes the next run from the shared counter and
 * trains it to its end (`runTrial`), until no run is left or the stop flag is set; every event goes to the parent
 * tagged with its run's index. A stop request reaches the running trial between two iterations (it checkpoints
 * and reports `stopped`).
 */
// A fresh thread starts with an empty env registry: this import registers every built-in env.
import '../envs/builtin.js';
import { parentPort, workerData } from 'node:worker_threads';
import { SEED_NEXT, SEED_STOP, type SeedWorkerData, type SeedWorkerMessage } from './seed-threads.js';
import { runTrial } from './sweep/trial.js';
import { setDefaultKernels } from '../nn/backend.js';

const { tasks, imports, kernels, control } = workerData as SeedWorkerData;
setDefaultKernels(kernels);
const words = new Int32Array(control);
const stopRequested = () => Atomics.load(words, SEED_STOP) === 1;

while (!stopRequested()) {
  const index = Atomics.add(words, SEED_NEXT, 1);
  if (index >= tasks.length) break;
  await runTrial(
    tasks[index],
    imports,
    (event) => parentPort?.postMessage({ index, event } satisfies SeedWorkerMessage),
    stopRequested,
  );
}
