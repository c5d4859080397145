/**
 * A3C on Node's worker threads: the coordinator. It owns the shared parameters (initialised from its own seeded
 * policy), starts `numWorkers` threads running `A3CWorker` (src/algos/a3c.ts) on them, turns the workers'
 * reports into metrics rows, and keeps a policy in this thread, synchronised from the shared parameters, for
 * `predict`, `evaluate` and saving.
 */
import type { PredictOptions } from '../policies/actor-critic.js';
import { Worker } from 'node:worker_threads';
import {
  A3C_STEPS,
  A3C_STOP,
  type A3CConfig,
  type A3CReport,
  type A3CResolvedConfig,
  type A3CSharedBuffers,
  createA3CShared,
  parseA3CConfig,
} from '../algos/a3c.js';
import {
  buildOnPolicy,
  evaluatePolicy,
  type OnPolicyMetrics,
  type OnPolicyParts,
} from '../algos/on-policy.js';
import { checkLearnOptions } from '../algos/checkpoint.js';
import type { Floats } from '../nn/kernels.js';
import { PolicygradError } from '../errors.js';
import { resolveEnvModule } from './env-modules.js';

export interface A3CLearnOptions {
  totalTimesteps: number;
  /** Called for every worker report (about every `reportEvery` updates of one worker); false stops all workers. */
  callback?: (metrics: OnPolicyMetrics) => boolean | void;
  /** Accepted for a uniform interface: A3C's learn always continues from the shared step counter. */
  resetProgress?: boolean;
}

/** Where the compiled worker script is: next to this module, or in dist/ when this module runs from src/. */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/node/a3c-worker.js', here)
    : new URL('./a3c-worker.js', here);
}

export class A3C {
  readonly config: A3CResolvedConfig;
  readonly policy: OnPolicyParts['policy'];
  readonly env: OnPolicyParts['env'];
  private readonly parts: OnPolicyParts;
  private readonly shared: A3CSharedBuffers;
  private readonly sharedParams: Float32Array;
  private readonly counters: Int32Array;
  /** config.envModules, resolved here (a relative path means the working directory of this thread). */
  private readonly envModules: string[];
  private episodes = 0;

  constructor(config: A3CConfig = {}) {
    this.config = parseA3CConfig(config);
    this.parts = buildOnPolicy(this.config);
    this.policy = this.parts.policy;
    this.env = this.parts.env;
    this.shared = createA3CShared(this.policy.numParams);
    this.sharedParams = new Float32Array(this.shared.params);
    this.sharedParams.set(this.policy.params);
    this.counters = new Int32Array(this.shared.counters);
    this.envModules = this.config.envModules.map((specifier) => resolveEnvModule(specifier));
  }

  /** Environment steps taken so far by all workers. */
  get totalSteps(): number {
    return Atomics.load(this.counters, A3C_STEPS);
  }

  /** Environment steps taken so far (SB3's `num_timesteps`; the same as `totalSteps`). */
  get numTimesteps(): number {
    return this.totalSteps;
  }

  /**
   * Asks the workers of a running `learn` to stop after their current update (within milliseconds); `learn`
   * then resolves with the shared parameters in `policy`. For signal handlers and other asynchronous stops.
   */
  stop(): void {
    Atomics.store(this.counters, A3C_STOP, 1);
  }

  /** Trains until the workers together have taken `totalTimesteps` more steps. */
  async learn(options: A3CLearnOptions): Promise<OnPolicyMetrics[]> {
    const { totalTimesteps, callback } = checkLearnOptions('A3C', options);
    const start = this.totalSteps;
    const until = start + totalTimesteps;
    Atomics.store(this.counters, A3C_STOP, 0);
    const history: OnPolicyMetrics[] = [];
    const begin = performance.now();
    let lastTime = begin;
    let lastStep = start;
    let iteration = 0;

    const onReport = (r: A3CReport) => {
      const now = performance.now();
      this.episodes += r.episodeReturns.length;
      const average = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
      const metrics: OnPolicyMetrics = {
        iteration: ++iteration,
        step: r.step,
        episodes: this.episodes,
        episodeReturnMean: average(r.episodeReturns),
        episodeLengthMean: average(r.episodeLengths),
        sps: now > lastTime ? ((r.step - lastStep) / (now - lastTime)) * 1000 : 0,
        timeSeconds: (now - begin) / 1000,
        policyLoss: r.policyLoss,
        valueLoss: r.valueLoss,
        entropy: r.entropy,
        approxKl: 0,
        clipFraction: 0,
        explainedVariance: r.explainedVariance,
        learningRate: r.learningRate,
      };
      lastTime = now;
      lastStep = r.step;
      history.push(metrics);
      if (callback?.(metrics) === false) Atomics.store(this.counters, A3C_STOP, 1);
    };

    const workers = Array.from({ length: this.config.numWorkers }, (_, index) => {
      const worker = new Worker(workerUrl(), {
        workerData: {
          config: this.config,
          shared: this.shared,
          index,
          until,
          start,
          envModules: this.envModules,
        },
      });
      return new Promise<void>((resolve, reject) => {
        worker.on('message', (message: A3CReport | { importFailure: string }) => {
          if ('importFailure' in message) {
            Atomics.store(this.counters, A3C_STOP, 1);
            reject(new PolicygradError(`A3C worker ${index}: ${message.importFailure}`));
          } else onReport(message);
        });
        worker.on('error', (error) => {
          Atomics.store(this.counters, A3C_STOP, 1); // the others stop too
          reject(error);
        });
        worker.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`A3C worker ${index} exited with code ${code}`)),
        );
      });
    });
    try {
      await Promise.all(workers);
    } finally {
      this.policy.params.set(this.sharedParams);
    }
    return history;
  }

  predict(observation: Floats, { deterministic = true, mask }: PredictOptions = {}): number | Float32Array {
    this.policy.params.set(this.sharedParams);
    return this.policy.predict(observation, { deterministic, mask, rng: this.parts.rng });
  }

  /** Returns of `episodes` evaluation episodes on a fresh env (deterministic by default). */
  evaluate(episodes: number, options: { deterministic?: boolean; seed?: number } = {}): number[] {
    this.policy.params.set(this.sharedParams);
    return evaluatePolicy(this.policy, this.config, episodes, options).returns;
  }
}
