/**
 * Per-iteration bookkeeping shared by every algorithm's `learn`: counts iterations and finished episodes, and
 * times each iteration, so each algorithm only adds its own numbers to the metrics row.
 */
import type { RolloutCollector } from './rollout.js';

/** A type, not an interface, so that a row is a `Record<string, unknown>` (the CLI and the CSV read it so). */
export type IterationStats = {
  iteration: number;
  /** Total environment steps so far (all envs). */
  step: number;
  /** Episodes finished so far. */
  episodes: number;
  /** Mean return / length of the episodes that finished during this iteration (null if none did). */
  episodeReturnMean: number | null;
  episodeLengthMean: number | null;
  /** Environment steps per second over this iteration (collection and update). */
  sps: number;
  /** Seconds since the start of this `learn` call. */
  timeSeconds: number;
};

export interface IterationTrackerState {
  iteration: number;
  episodes: number;
  elapsedSeconds: number;
}

export class IterationTracker {
  private iteration = 0;
  private episodes = 0;
  private learnStart = 0;
  private iterationStart = 0;
  private stepsAtIterationStart = 0;

  constructor(private readonly collector: RolloutCollector) {}

  beginLearn(): void {
    this.learnStart = performance.now();
  }

  /** Counters for checkpoints; the clock continues from the saved elapsed time. */
  getState(): IterationTrackerState {
    return {
      iteration: this.iteration,
      episodes: this.episodes,
      elapsedSeconds: (performance.now() - this.learnStart) / 1000,
    };
  }

  setState(state: IterationTrackerState): void {
    this.iteration = state.iteration;
    this.episodes = state.episodes;
    this.learnStart = performance.now() - state.elapsedSeconds * 1000;
  }

  beginIteration(): void {
    this.iterationStart = performance.now();
    this.stepsAtIterationStart = this.collector.totalSteps;
  }

  endIteration(): IterationStats {
    const now = performance.now();
    const finished = this.collector.drainEpisodes();
    this.episodes += finished.length;
    this.iteration++;
    const average = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      iteration: this.iteration,
      step: this.collector.totalSteps,
      episodes: this.episodes,
      episodeReturnMean: average(finished.map((e) => e.return)),
      episodeLengthMean: average(finished.map((e) => e.length)),
      sps: ((this.collector.totalSteps - this.stepsAtIterationStart) / (now - this.iterationStart)) * 1000,
      timeSeconds: (now - this.learnStart) / 1000,
    };
  }
}
