/**
 * Entry point of a critic thread (Node): V(s) and the critic's backward pass of each minibatch, or the critic's
 * whole fused half (forward, value loss, backward in one call), on the policy's shared memory, on request through
 * the control word (src/node/critic-thread.ts).
 */
import { workerData } from 'node:worker_threads';
import type { Activation } from '../nn/kernels.js';
import { MLP } from '../nn/mlp.js';
import { createWasmKernelsOn } from '../nn/wasm-kernels.js';
import { AdaptiveSpin } from './adaptive-spin.js';
import { CONTEXT, CONTROL, type CriticWorkerData, READY } from './critic-thread.js';

const data = workerData as CriticWorkerData;
const { memory } = data;
// Probe area bytes 8..15 (the owner's instance probes 0..7).
const kernels = createWasmKernelsOn({ memory, start: data.heap.start, end: data.heap.end, probe: 8 });
const critic = new MLP({
  sizes: data.sizes,
  hiddenActivation: data.hiddenActivation as Activation,
  outputActivation: data.outputActivation as Activation,
  kernels,
});
const buffer = memory.buffer;
const control = new Int32Array(buffer, data.control, 4);
const params = new Float32Array(buffer, data.params, data.numParams);
const grads = new Float32Array(buffer, data.grads, data.numParams);
const observations = new Float32Array(buffer, data.observations, data.maxRows * data.obsDim);
const values = new Float32Array(buffer, data.values, data.maxRows);
const gradValues = new Float32Array(buffer, data.gradValues, data.maxRows);
// Views of the last batch size: steady-state calls allocate nothing.
let viewBatch = -1;
let observationView = observations;
let gradValueView = gradValues;

function views(batch: number): void {
  if (batch === viewBatch) return;
  viewBatch = batch;
  observationView = observations.subarray(0, batch * data.obsDim);
  gradValueView = gradValues.subarray(0, batch);
}

/**
 * The next request this thread claimed (or stop): spin on the word, then sleep until it changes. A request is
 * claimed with a compare-exchange: the caller may have withdrawn it meanwhile. The spin adapts to the gaps between
 * requests (src/node/adaptive-spin.ts).
 */
const spin = new AdaptiveSpin(data.spinMicros);
/** Each request state and the state the worker claims it with (the states this thread answers). */
const CLAIMED: Partial<Record<number, number>> = {
  [CONTROL.forward]: CONTROL.forwardClaimed,
  [CONTROL.backward]: CONTROL.backwardClaimed,
  [CONTROL.fused]: CONTROL.fusedClaimed,
  [CONTROL.fusedStep]: CONTROL.fusedStepClaimed,
};
function nextRequest(): number {
  const idleSince = performance.now();
  const until = idleSince + spin.micros / 1000;
  for (let k = 1; ; k++) {
    const state = Atomics.load(control, 0);
    if (state === CONTROL.stop) return state;
    const claimed = CLAIMED[state];
    if (claimed !== undefined) {
      if (Atomics.compareExchange(control, 0, state, claimed) === state) {
        spin.observe((performance.now() - idleSince) * 1000);
        return claimed;
      }
    } else if ((k & 63) === 0 && performance.now() > until) {
      Atomics.wait(control, 0, state);
    }
  }
}

function finish(state: number): void {
  Atomics.store(control, 0, state);
  Atomics.notify(control, 0);
}

Atomics.store(control, READY, 1);
Atomics.notify(control, READY);
try {
  for (let state = nextRequest(); state !== CONTROL.stop; state = nextRequest()) {
    if (state === CONTROL.fusedClaimed) {
      kernels.ppoCriticHalf(Atomics.load(control, CONTEXT)); // the whole half, on the caller's own tables
      finish(CONTROL.fusedDone);
      continue;
    }
    if (state === CONTROL.fusedStepClaimed) {
      // The critic's parameters: the clip and Adam where its gradient was computed (same bits, elementwise).
      kernels.ppoStepRange(Atomics.load(control, CONTEXT), data.criticOffset, data.numParams);
      finish(CONTROL.fusedStepDone);
      continue;
    }
    const batch = Atomics.load(control, 1);
    views(batch);
    if (state === CONTROL.forwardClaimed) {
      values.set(critic.forward(params, data.criticOffset, observationView, batch));
      finish(CONTROL.forwardDone);
    } else {
      critic.backward(params, grads, data.criticOffset, gradValueView, batch);
      finish(CONTROL.backwardDone);
    }
  }
} catch (error) {
  console.error('policygrad critic thread:', error);
  finish(CONTROL.failed);
}
