/**
 * A run directory on disk (Node only; the core stays browser-safe):
 *
 *   <run>/config.json      the resolved config, library version, algorithm, env, seed, budget
 *   <run>/metrics.csv      one row per iteration, appended as training goes (nothing lost on a crash)
 *   <run>/progress.jsonl   the same rows with every metric, one JSON object per line
 *   <run>/checkpoints/step-<N>.json  checkpoints (src/algos/checkpoint.ts); the last `KEEP_CHECKPOINTS` are kept
 *   <run>/final/policy.json the trained policy (see policies/serialize.ts)
 *
 * Whole files are written atomically (temporary file, then rename).
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describeValue, PolicygradError } from '../errors.js';
import { upgradeSavedConfig } from '../algos/persistence.js';
import type { PolicyFile } from '../policies/serialize.js';

/** metrics.csv columns and the metric each one reads (empty when the algorithm does not report it). */
const CSV_COLUMNS: [string, string][] = [
  ['iteration', 'iteration'],
  ['step', 'step'],
  ['episodes', 'episodes'],
  ['episode_return_mean', 'episodeReturnMean'],
  ['episode_length_mean', 'episodeLengthMean'],
  ['policy_loss', 'policyLoss'],
  ['value_loss', 'valueLoss'],
  ['entropy', 'entropy'],
  ['approx_kl', 'approxKl'],
  ['clip_fraction', 'clipFraction'],
  ['explained_variance', 'explainedVariance'],
  ['learning_rate', 'learningRate'],
  ['sps', 'sps'],
  ['time_s', 'timeSeconds'],
];

/** More columns for IMPALA/APPO rows (a run's header has them when its first row does). */
const DISTRIBUTED_COLUMNS: [string, string][] = [
  ['policy_version', 'policyVersion'],
  ['policy_lag_mean', 'policyLagMean'],
  ['policy_lag_max', 'policyLagMax'],
  ['chunks', 'chunks'],
  ['stale_chunks', 'staleChunks'],
  ['rejected_chunks', 'rejectedChunks'],
  ['actors', 'actors'],
];

/** Checkpoints kept in a run directory (older ones are deleted once a newer one is safely written). */
export const KEEP_CHECKPOINTS = 2;

export class RunDirectory {
  private wroteHeader = false;

  private constructor(readonly path: string) {}

  /** Creates the directory; an existing non-empty one is refused unless `force` (then it is emptied first). */
  static create(path: string, { force = false } = {}): RunDirectory {
    if (existsSync(path)) {
      if (!statSync(path).isDirectory())
        throw new PolicygradError(`run directory ${path} exists and is not a directory`);
      if (readdirSync(path).length > 0) {
        if (!force) {
          throw new PolicygradError(
            `run directory ${path} already exists; pass --force to overwrite it, or --out to choose another`,
          );
        }
        rmSync(path, { recursive: true, force: true });
      }
    }
    mkdirSync(path, { recursive: true }); // final/ comes with the final policy: a run that never finished has none
    return new RunDirectory(path);
  }

  /** An existing run directory, for `--resume`: it must hold config.json. */
  static open(path: string): RunDirectory {
    if (!existsSync(join(path, 'config.json'))) {
      throw new PolicygradError(
        `cannot resume ${path}: no run there (expected ${join(path, 'config.json')}, written when a run starts)`,
      );
    }
    const run = new RunDirectory(path);
    run.wroteHeader = existsSync(join(path, 'metrics.csv'));
    return run;
  }

  /** config.json, its algorithm config in today's names (runs of earlier versions resume too). */
  readConfig(): Record<string, unknown> {
    const saved = readJson(join(this.path, 'config.json'), 'run config') as Record<string, unknown>;
    const { config } = saved;
    if (config === null || typeof config !== 'object') return saved;
    return { ...saved, config: upgradeSavedConfig(config as Record<string, unknown>, String(saved.algo)) };
  }

  /**
   * Writes a checkpoint atomically, then deletes all but the newest `KEEP_CHECKPOINTS`; `json` is the checkpoint
   * already serialised (by the process that took it).
   */
  saveCheckpoint(checkpoint: { step: number }, json = JSON.stringify(checkpoint)): string {
    const dir = join(this.path, 'checkpoints');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `step-${String(checkpoint.step).padStart(10, '0')}.json`);
    writeAtomically(file, json);
    for (const old of this.checkpointFiles().slice(0, -KEEP_CHECKPOINTS)) rmSync(old, { force: true });
    return file;
  }

  /** Checkpoint files, oldest first. */
  checkpointFiles(): string[] {
    const dir = join(this.path, 'checkpoints');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /^step-\d+\.json$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  }

  /** The newest checkpoint, parsed; a clear error when there is none or it is truncated or corrupt. */
  latestCheckpoint(): { file: string; checkpoint: unknown } {
    const files = this.checkpointFiles();
    if (files.length === 0) {
      throw new PolicygradError(
        `cannot resume ${this.path}: it has no checkpoint (it stopped before its first); start it again with --force to overwrite it`,
      );
    }
    const file = files[files.length - 1];
    return { file, checkpoint: readJson(file, 'checkpoint') };
  }

  /** Drops metric rows after `iteration` (they are recomputed by the resumed run), atomically. */
  truncateMetrics(iteration: number): void {
    const csv = join(this.path, 'metrics.csv');
    if (existsSync(csv)) {
      const [header, ...rows] = readFileSync(csv, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const kept = rows.filter((r) => Number(r.split(',')[0]) <= iteration);
      writeAtomically(csv, [header, ...kept].map((l) => `${l}\n`).join(''));
    }
    const jsonl = join(this.path, 'progress.jsonl');
    if (existsSync(jsonl)) {
      const lines = readFileSync(jsonl, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const kept = lines.filter((l) => (JSON.parse(l) as { iteration: number }).iteration <= iteration);
      writeAtomically(jsonl, kept.map((l) => `${l}\n`).join(''));
    }
  }

  writeConfig(config: unknown): void {
    writeAtomically(join(this.path, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Appends one iteration's metrics to metrics.csv and progress.jsonl. */
  appendMetrics(row: object): void {
    this.appendMetricsRows([row]);
  }

  /** Several rows at once, one write per file (a sweep's rows arrive in batches through Redis). */
  appendMetricsRows(rows: readonly object[]): void {
    if (rows.length === 0) return;
    const csv = join(this.path, 'metrics.csv');
    const columns = 'policyLagMean' in rows[0] ? [...CSV_COLUMNS, ...DISTRIBUTED_COLUMNS] : CSV_COLUMNS;
    const lines = rows.map((row) => {
      const cells = row as Record<string, unknown>;
      return `${columns.map(([, key]) => formatCell(cells[key])).join(',')}\n`;
    });
    if (!this.wroteHeader) {
      writeFileSync(csv, `${columns.map(([name]) => name).join(',')}\n`);
      this.wroteHeader = true;
    }
    appendFileSync(csv, lines.join(''));
    appendFileSync(join(this.path, 'progress.jsonl'), rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  }

  /** Writes final/policy.json, creating final/ (absent until now, or from a run that was killed or copied). */
  saveFinalPolicy(policy: PolicyFile): string {
    const dir = join(this.path, 'final');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'policy.json');
    writeAtomically(file, JSON.stringify(policy));
    return file;
  }
}

/** Reads a policy from a run directory (its final/policy.json) or from a policy JSON file. */
export function readPolicyFile(path: string): PolicyFile {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'final', 'policy.json') : path;
  if (!existsSync(file)) {
    throw new PolicygradError(
      `no trained policy at ${file}: expected a run directory (runs/NAME) or a policy .json file`,
    );
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PolicyFile;
  } catch (error) {
    throw new PolicygradError(
      `could not read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Writes a policy file atomically. */
export function writePolicyFile(path: string, policy: PolicyFile): void {
  const dir = dirname(path);
  if (dir !== '' && !existsSync(dir)) {
    throw new PolicygradError(`cannot write ${path}: the directory ${dir} does not exist`);
  }
  writeAtomically(path, JSON.stringify(policy));
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicygradError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PolicygradError(
      `${what} ${file} is corrupt or truncated (${(error as Error).message}); nothing was changed`,
    );
  }
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  throw new PolicygradError(`metrics.csv: unexpected value ${describeValue(value)}`);
}

/** Writes a whole file atomically: a temporary file beside it, then a rename. */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  writeAtomically(file, data);
}

function writeAtomically(file: string, text: string | Uint8Array): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
