/**
 * The submitting side of a trial: its events, wherever it ran, become a normal run directory (config.json,
 * metrics.csv, progress.jsonl, checkpoints/, final/policy.json — `train --resume`, `eval`, `plot` and the
 * dashboard read it as any run) and a `TrialState` for the progress table and summary.json.
 */
import { RunDirectory } from '../run-dir.js';
import type { TrialEvent } from './trial.js';

export type TrialStatus = 'pending' | 'running' | 'completed' | 'failed' | 'stopped' | 'pruned';

export interface TrialState {
  id: string;
  config: number;
  params: Record<string, unknown>;
  seed: number;
  runDir: string;
  status: TrialStatus;
  /** Environment steps so far (the latest row's). */
  step: number;
  /** The latest row's mean episode return, null before the first finished episode. */
  lastReturn: number | null;
  /** Mean return of 10 deterministic evaluation episodes at the end; null unless completed. */
  finalEval: number | null;
  /** Seconds from the trial's first start to its end (restarts included). */
  wallTimeS: number | null;
  /** Times the trial started again from a checkpoint (another worker after a crash). */
  resumes: number;
  error?: string;
}

/** A trial not started yet: its identity and run directory, nothing measured. */
export function pendingTrial(
  trial: Pick<TrialState, 'id' | 'config' | 'params' | 'seed' | 'runDir'>,
): TrialState {
  return {
    ...trial,
    status: 'pending',
    step: 0,
    lastReturn: null,
    finalEval: null,
    wallTimeS: null,
    resumes: 0,
  };
}

/**
 * What config.json records besides the resolved config (as `policygrad train` writes it; a sweep's trial adds the
 * sweep, `train --seeds` adds nothing: each seed's directory is the one a run alone would have written).
 */
export interface RunHeader {
  library: 'policygrad';
  version: string;
  algo: string;
  env: string;
  seed: number;
  totalTimesteps: number;
  imports?: string[];
  sweep?: { name: string; trial: string; config: number; params: Record<string, unknown> };
}

export class TrialRecorder {
  private run: RunDirectory | null = null;
  private startedAt: number | null = null;
  private pruned = false;

  constructor(
    readonly state: TrialState,
    private readonly header: RunHeader,
    private readonly now: () => number = () => performance.now(),
  ) {}

  handle(event: TrialEvent): void {
    const { state } = this;
    switch (event.type) {
      case 'begin':
        this.startedAt ??= this.now();
        state.status = 'running';
        if (event.resumedFrom === null) {
          // A first start, or a restart before the first checkpoint: this trial's directory starts over.
          this.run = RunDirectory.create(state.runDir, { force: true });
          state.step = 0;
        } else {
          // Rows after the checkpoint are computed again by the resumed trial, exactly as they were.
          this.run = RunDirectory.open(state.runDir);
          this.run.truncateMetrics(event.resumedFrom.iteration);
          state.step = event.resumedFrom.step;
          state.resumes++;
        }
        this.run.writeConfig({ ...this.header, config: event.config });
        break;
      case 'row':
        this.rows([event.row]);
        break;
      case 'checkpoint':
        // Without `json`: a checkpoint kept in Redis for fault recovery; only the trial's last one comes here.
        if (event.json !== undefined) this.open().saveCheckpoint(event.checkpoint, event.json);
        break;
      case 'done':
        this.open().saveFinalPolicy(event.policy);
        state.status = 'completed';
        state.finalEval = event.finalEval;
        state.step = event.steps;
        this.finish();
        break;
      case 'stopped':
        state.status = this.pruned ? 'pruned' : 'stopped';
        state.step = event.steps;
        this.finish();
        break;
      case 'error':
        this.fail(event.message);
        break;
    }
  }

  /** Consecutive metrics rows (as `row` events, written at once). */
  rows(rows: readonly Record<string, unknown>[]): void {
    if (rows.length === 0) return;
    this.open().appendMetricsRows(rows);
    const last = rows[rows.length - 1];
    this.state.step = Number(last.step);
    for (const row of rows) {
      if (typeof row.episodeReturnMean === 'number') this.state.lastReturn = row.episodeReturnMean;
    }
  }

  /** Early stopping chose to end this trial: its coming `stopped` event makes it `pruned`. */
  prune(): void {
    this.pruned = true;
  }

  /** Marks the trial failed (its last error), unless it already ended. */
  fail(message: string): void {
    if (this.state.status === 'completed') return;
    this.state.status = 'failed';
    this.state.error = message;
    this.finish();
  }

  private finish(): void {
    if (this.startedAt !== null) this.state.wallTimeS = (this.now() - this.startedAt) / 1000;
  }

  private open(): RunDirectory {
    if (this.run === null) this.run = RunDirectory.open(this.state.runDir);
    return this.run;
  }
}
