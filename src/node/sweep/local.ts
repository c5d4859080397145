/**
 * A sweep on this machine: at most `parallel` trial processes at once (one core each), each trial's events
 * written into its run directory as they arrive. `stop()` (Ctrl-C) launches nothing more and asks the running
 * trials to checkpoint and stop; the trials never launched stay `pending`.
 */
import type { Asha } from './asha.js';
import { forkTrial, type TrialProcess } from './fork.js';
import { type RunHeader, TrialRecorder, type TrialState } from './record.js';
import type { TrialTask } from './trial.js';

export interface PlannedTrial {
  state: TrialState;
  header: RunHeader;
  task: TrialTask;
}

export class LocalSweep {
  private stopping = false;
  private readonly running = new Set<TrialProcess>();

  constructor(
    private readonly trials: readonly PlannedTrial[],
    private readonly options: {
      parallel: number;
      imports: readonly string[];
      asha?: Asha | null;
      onChange?: () => void;
    },
  ) {}

  get stopped(): boolean {
    return this.stopping;
  }

  stop(): void {
    this.stopping = true;
    for (const trial of this.running) trial.stop();
  }

  async run(): Promise<void> {
    const queue = [...this.trials];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined && !this.stopping; next = queue.shift()) {
        await this.runOne(next);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.parallel) }, worker));
  }

  private async runOne({ state, header, task }: PlannedTrial): Promise<void> {
    const recorder = new TrialRecorder(state, header);
    const onEvent = (event: Parameters<TrialRecorder['handle']>[0]) => {
      try {
        recorder.handle(event);
        if (event.type === 'row') {
          const verdict = this.options.asha?.report(state.id, event.row) ?? 'continue';
          if (verdict === 'prune') {
            recorder.prune();
            child.stop();
          } else if (event.rung !== undefined) {
            child.proceed(verdict === 'pending'); // the trial waits at the rung for this
          }
        }
      } catch (error) {
        // A run directory that cannot be written (disk full): the trial fails with that reason, the sweep goes on.
        recorder.fail(`cannot record ${event.type}: ${(error as Error).message}`);
        child.stop();
      }
      this.options.onChange?.();
    };
    const child = forkTrial(task, this.options.imports, onEvent);
    this.running.add(child);
    if (this.stopping) child.stop();
    await child.finished;
    this.running.delete(child);
    this.options.onChange?.();
  }
}
