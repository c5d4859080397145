/**
 * A seed worker thread (started by src/node/seed-threads.ts): trains its pieces in order (`runTrial`), until they
 * are done or the stop flag is set; every event goes to the parent tagged with its run's index. A piece that ends
 * at a step (the first part of a split run) stops after a checkpoint, which goes to the parent as the run's
 * handoff instead of an event; a piece that continues a split run asks the parent for it and waits. A stop
 * request reaches the running trial between two iterations (it checkpoints and reports `stopped`).
 */
// A fresh thread starts with an empty env registry: this import registers every built-in env.
import '../envs/builtin.js';
import { parentPort, workerData } from 'node:worker_threads';
import { setDefaultKernels } from '../nn/backend.js';
import {
  SEED_STOP,
  type SeedHandoff,
  type SeedPiece,
  type SeedWorkerData,
  type SeedWorkerMessage,
} from './seed-threads.js';
import { runTrial, type TrialEvent } from './sweep/trial.js';

const { tasks, pieces, imports, kernels, control } = workerData as SeedWorkerData;
setDefaultKernels(kernels);
const words = new Int32Array(control);
const stopRequested = () => Atomics.load(words, SEED_STOP) === 1;
const post = (message: SeedWorkerMessage) => parentPort?.postMessage(message);

/** The handoff of run `index`'s first piece, from the parent (null: nothing left to train). */
function handoffOf(index: number): Promise<SeedHandoff | null> {
  return new Promise((resolve) => {
    const onAnswer = (answer: { index: number; handoff: SeedHandoff | null }) => {
      if (answer.index !== index) return;
      parentPort?.off('message', onAnswer);
      resolve(answer.handoff);
    };
    parentPort?.on('message', onAnswer);
    post({ type: 'need', index });
  });
}

async function train({ index, from, until }: SeedPiece): Promise<void> {
  let task: unknown = tasks[index];
  if (from === 'handoff') {
    const handoff = await handoffOf(index);
    if (handoff === null) return;
    task = {
      ...tasks[index],
      resume: JSON.parse(handoff.json) as unknown,
      ...(handoff.nextCheckpoint === undefined ? {} : { nextCheckpoint: handoff.nextCheckpoint }),
    };
  }
  let step = 0;
  let handingOff = false;
  let taken: Extract<TrialEvent, { type: 'checkpoint' }> | null = null;
  const emit = (event: TrialEvent) => {
    if (event.type === 'row') step = Number(event.row.step);
    if (handingOff && event.type === 'checkpoint') {
      taken = event; // the handoff's, not a checkpoint of the run's schedule
    } else if (handingOff && event.type === 'stopped') {
      // runTrial takes a checkpoint (serialised: `json`) right before it reports `stopped`.
      if (taken?.json === undefined)
        throw new Error(`seed worker: run ${index} stopped without its checkpoint`);
      post({
        type: 'handoff',
        index,
        handoff: { checkpoint: taken.checkpoint, json: taken.json, nextCheckpoint: event.nextCheckpoint },
        steps: event.steps,
      });
    } else {
      post({ type: 'event', index, event });
    }
  };
  const shouldStop = () => {
    if (stopRequested()) return true;
    // The trial stops only before its budget's end (its last row finishes the run instead).
    handingOff = until !== null && step >= until && step < tasks[index].timesteps;
    return handingOff;
  };
  await runTrial(task, imports, emit, { shouldStop });
}

for (const piece of pieces) {
  if (stopRequested()) break;
  await train(piece);
}
