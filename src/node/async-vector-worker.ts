/**
 * Worker thread of an AsyncVectorEnv: owns sub-envs [first, first + count) and runs the commands the main
 * thread posts through the shared control array (see async-vector-env.ts for the protocol).
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type Env, type EnvSnapshot, type Info, restoreInto, snapshotOf } from '../envs/env.js';
import { loadEnvEngine } from '../envs/load-engine.js';
import { make } from '../envs/registry.js';
import {
  COMMAND_CLOSE,
  COMMAND_RESET,
  COMMAND_RESTORE,
  COMMAND_SNAPSHOT,
  COMMAND_STEP,
  type AsyncVectorWorkerData,
  sharedViews,
  STATUS_ERROR,
  STATUS_OK,
} from './async-vector-shared.js';
// A thread starts with an empty env registry: this import registers every built-in env (classic, Box2D, MuJoCo).
import '../envs/builtin.js';
import { importInWorker } from './env-modules.js';

const data = workerData as AsyncVectorWorkerData & { port: MessagePort };
const views = sharedViews(data.layout, data.buffers);
const { control, actions, observations, finalObservations, rewards, terminated, truncated, ended } = views;
const { obsDim, actionDim, discrete } = data.layout;
const slot = data.worker * 4; // [sequence, command, done sequence, status]
const envs: Env<Float32Array, unknown>[] = [];
/** Set when the setup failed: every command is then answered with this error. */
let broken: string | null = null;
try {
  const importFailure = await importInWorker(data.envModules);
  if (importFailure !== null) throw new Error(importFailure);
  await loadEnvEngine(data.id); // engines (MuJoCo, Box2D) are per thread, like registrations
  for (let k = 0; k < data.count; k++) envs.push(make(data.id, data.options) as Env<Float32Array, unknown>);
} catch (error) {
  broken = describeError(error);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const isEmpty = (info: Info) => Object.keys(info).length === 0;

function reset(seed: number | null, options: unknown): void {
  const infos: Info[] = [];
  for (let k = 0; k < envs.length; k++) {
    const i = data.first + k;
    const { observation, info } = envs[k].reset({
      seed: seed === null ? undefined : seed + i,
      options: options as Record<string, unknown> | undefined,
    });
    observations.set(observation, i * obsDim);
    infos.push(info);
  }
  if (!infos.every(isEmpty)) data.port.postMessage({ envInfos: infos });
}

function step(): void {
  let envInfos: Info[] | null = null;
  let finalInfo: Record<number, Info> | null = null;
  for (let k = 0; k < envs.length; k++) {
    const i = data.first + k;
    const action = discrete ? actions[i] : actions.subarray(i * actionDim, (i + 1) * actionDim);
    const result = envs[k].step(action);
    rewards[i] = result.reward;
    terminated[i] = result.terminated ? 1 : 0;
    truncated[i] = result.truncated ? 1 : 0;
    let { observation, info } = result;
    ended[i] = 0;
    if (result.terminated || result.truncated) {
      ended[i] = 1;
      finalObservations.set(result.observation, i * obsDim);
      finalInfo ??= {};
      finalInfo[i] = result.info;
      ({ observation, info } = envs[k].reset());
    }
    observations.set(observation, i * obsDim);
    if (!isEmpty(info)) {
      envInfos ??= envs.map(() => ({}));
      envInfos[k] = info;
    }
  }
  if (envInfos !== null || finalInfo !== null) data.port.postMessage({ envInfos, finalInfo });
}

const SPIN = 20_000;
let seen = 0;
for (;;) {
  // Spin briefly before sleeping: in a rollout the next command usually follows within microseconds, and
  // waking a sleeping thread costs tens of them.
  for (let spin = 0; spin < SPIN && Atomics.load(control, slot) === seen; spin++);
  Atomics.wait(control, slot, seen);
  const sequence = Atomics.load(control, slot);
  if (sequence === seen) continue; // woken without a new command: never run one twice
  seen = sequence;
  const command = Atomics.load(control, slot + 1);
  let status = STATUS_OK;
  try {
    if (broken !== null) {
      if (command !== COMMAND_CLOSE) {
        status = STATUS_ERROR;
        data.port.postMessage({ error: broken });
      }
    } else if (command === COMMAND_STEP) step();
    else if (command === COMMAND_RESET) {
      // The main thread posted the reset's arguments just before the command.
      const message = receiveMessageOnPort(data.port)?.message as { seed: number | null; options: unknown };
      reset(message.seed, message.options);
    } else if (command === COMMAND_SNAPSHOT) {
      data.port.postMessage({ snapshots: envs.map((env) => snapshotOf(env)) });
    } else if (command === COMMAND_RESTORE) {
      // The main thread posted this worker's share of the snapshot just before the command.
      const message = receiveMessageOnPort(data.port)?.message as { snapshots: EnvSnapshot[] };
      message.snapshots.forEach((snapshot, k) => restoreInto(envs[k], snapshot));
    } else if (command === COMMAND_CLOSE) {
      for (const env of envs) env.close();
    }
  } catch (error) {
    status = STATUS_ERROR;
    data.port.postMessage({ error: describeError(error) });
  }
  Atomics.store(control, slot + 3, status);
  Atomics.store(control, slot + 2, seen);
  Atomics.notify(control, slot + 2);
  if (command === COMMAND_CLOSE) break;
}
data.port.close();
