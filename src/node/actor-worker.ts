/**
 * Entry point of a local IMPALA/APPO actor thread (Node): runs one `Actor` (src/algos/actor.ts), taking the
 * newest published parameters before each chunk and posting each chunk to the learner (its payload transferred).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Actor } from '../algos/actor.js';
import { loadEnvEngine } from '../envs/load-engine.js';
// A thread starts with an empty env registry: this import registers every built-in env (classic, Box2D, MuJoCo).
import '../envs/builtin.js';
import { importInWorker } from './env-modules.js';
import {
  LOCAL_CREDITS,
  LOCAL_STOP,
  type LocalActorData,
  type LocalActorMessage,
  readParameters,
} from './local-actors.js';

const data = workerData as LocalActorData;
const post = (message: LocalActorMessage, transfer: ArrayBuffer[] = []) =>
  parentPort?.postMessage(message, transfer);

const failure = await importInWorker(data.envModules);
if (failure !== null) post({ failure });
else {
  await loadEnvEngine(data.config.env); // engines (MuJoCo) are per thread, like registrations
  const actor = new Actor(data.config, {
    runId: data.runId,
    actorId: `local-${data.index}`,
    seed: data.seed,
  });
  const shared = {
    params: new Float32Array(data.shared.params),
    control: new Int32Array(data.shared.control),
  };
  const credit = LOCAL_CREDITS + data.index;
  const params = new Float32Array(shared.params.length);
  let version = -1;
  post({ ready: true });
  while (Atomics.load(shared.control, LOCAL_STOP) === 0) {
    // Wait for a credit (the learner took an earlier chunk) and for the first parameters.
    if (Atomics.load(shared.control, credit) <= 0) {
      Atomics.wait(shared.control, credit, 0, 100);
      continue;
    }
    const newest = readParameters(shared, version, params);
    if (newest < 0) {
      Atomics.wait(shared.control, LOCAL_STOP, 0, 10); // nothing published yet: sleep 10 ms (or until stopped)
      continue;
    }
    if (newest !== version) {
      actor.setParameters(params, newest);
      version = newest;
    }
    const { header, payload } = actor.collectEncoded();
    Atomics.sub(shared.control, credit, 1);
    post({ header, payload }, [payload.buffer as ArrayBuffer]);
  }
}
