/**
 * Training callbacks (as Stable-Baselines3's): called after every iteration with the metrics row and the model;
 * returning false stops `learn`. Ready-made ones: periodic evaluation (with best-model saving), periodic saving,
 * and stopping once an evaluation reaches a threshold. A plain function is a callback too.
 */
import { PolicygradError } from '../errors.js';
import type { IterationStats } from '../rollouts/iteration.js';

/** What callbacks may use of the model being trained. */
export interface CallbackModel {
  evaluate(episodes: number, options?: { deterministic?: boolean; seed?: number }): number[];
  /** Saves the model (Node: see `save`); absent where no file storage exists. */
  save?(dir: string): void;
}

export interface Callback {
  onIteration(metrics: IterationStats & object, model: CallbackModel): boolean | void;
}

export type CallbackLike =
  Callback | ((metrics: IterationStats & object, model: CallbackModel) => boolean | void);

/** Runs the callbacks in order; false when any of them asks to stop (all of them still run). */
export function runCallbacks(
  callbacks: readonly CallbackLike[] | undefined,
  metrics: IterationStats & object,
  model: CallbackModel,
): boolean {
  let keepGoing = true;
  for (const callback of callbacks ?? []) {
    const result =
      typeof callback === 'function' ? callback(metrics, model) : callback.onIteration(metrics, model);
    if (result === false) keepGoing = false;
  }
  return keepGoing;
}

export interface EvaluationRecord {
  step: number;
  meanReturn: number;
  stdReturn: number;
  returns: number[];
}

export interface EvalCallbackOptions {
  /** Evaluate after the first iteration that reaches each multiple of this many env steps. */
  everySteps: number;
  /** Episodes per evaluation. Default 10. */
  episodes?: number;
  /** Deterministic actions (default true). */
  deterministic?: boolean;
  /** Seed of the evaluation episodes (default 10_000: the same episodes at every evaluation). */
  seed?: number;
  /** Save the model here whenever the mean return improves (needs `save`, i.e. Node). */
  bestModelDir?: string;
  /** Stop training once the mean evaluation return reaches this. */
  stopAtReturn?: number;
  /** Called with every evaluation. */
  onEvaluation?: (record: EvaluationRecord) => void;
}

/** Periodic evaluation on a fresh env; keeps the history and the best mean return; optional best-model saving. */
export class EvalCallback implements Callback {
  readonly history: EvaluationRecord[] = [];
  bestMeanReturn = Number.NEGATIVE_INFINITY;
  private nextStep: number;

  constructor(readonly options: EvalCallbackOptions) {
    if (!(options.everySteps > 0)) {
      throw new PolicygradError(
        `EvalCallback: everySteps must be a positive number, got ${options.everySteps}`,
      );
    }
    this.nextStep = options.everySteps;
  }

  onIteration(metrics: IterationStats, model: CallbackModel): boolean {
    if (metrics.step < this.nextStep) return true;
    while (this.nextStep <= metrics.step) this.nextStep += this.options.everySteps;
    const returns = model.evaluate(this.options.episodes ?? 10, {
      deterministic: this.options.deterministic ?? true,
      seed: this.options.seed ?? 10_000,
    });
    const meanReturn = returns.reduce((a, b) => a + b, 0) / returns.length;
    const stdReturn = Math.sqrt(returns.reduce((a, r) => a + (r - meanReturn) ** 2, 0) / returns.length);
    const record = { step: metrics.step, meanReturn, stdReturn, returns };
    this.history.push(record);
    this.options.onEvaluation?.(record);
    if (meanReturn > this.bestMeanReturn) {
      this.bestMeanReturn = meanReturn;
      if (this.options.bestModelDir !== undefined) {
        if (model.save === undefined)
          throw new PolicygradError('EvalCallback: this model cannot be saved here');
        model.save(this.options.bestModelDir);
      }
    }
    return !(this.options.stopAtReturn !== undefined && meanReturn >= this.options.stopAtReturn);
  }
}

/** Stops training once an evaluation (every `everySteps` steps) reaches `threshold` (SB3's StopTrainingOnRewardThreshold). */
export function stopOnReturn(threshold: number, everySteps: number, episodes = 10): EvalCallback {
  return new EvalCallback({ everySteps, episodes, stopAtReturn: threshold });
}

/** Saves the model to `dir` every `everySteps` env steps (Node), overwriting the previous save atomically. */
export class SaveCallback implements Callback {
  private nextStep: number;

  constructor(
    readonly dir: string,
    readonly everySteps: number,
  ) {
    if (!(everySteps > 0)) {
      throw new PolicygradError(`SaveCallback: everySteps must be a positive number, got ${everySteps}`);
    }
    this.nextStep = everySteps;
  }

  onIteration(metrics: IterationStats, model: CallbackModel): boolean {
    if (metrics.step < this.nextStep) return true;
    while (this.nextStep <= metrics.step) this.nextStep += this.everySteps;
    if (model.save === undefined) throw new PolicygradError('SaveCallback: this model cannot be saved here');
    model.save(this.dir);
    return true;
  }
}
