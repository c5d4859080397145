/**
 * A run directory on disk (Node only; the core stays browser-safe):
 *
 *   <run>/config.json      the resolved config, library version, algorithm, env, seed, budget
 *   <run>/metrics.csv      one row per iteration, appended as training goes (nothing lost on a crash)
 *   <run>/progress.jsonl   the same rows with every metric, one JSON object per line
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
import { join } from 'node:path';
import { describeValue, PolicygradError } from '../errors.js';
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
    mkdirSync(join(path, 'final'), { recursive: true });
    return new RunDirectory(path);
  }

  writeConfig(config: unknown): void {
    writeAtomically(join(this.path, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Appends one iteration's metrics to metrics.csv and progress.jsonl. */
  appendMetrics(row: object): void {
    const csv = join(this.path, 'metrics.csv');
    if (!this.wroteHeader) {
      writeFileSync(csv, `${CSV_COLUMNS.map(([name]) => name).join(',')}\n`);
      this.wroteHeader = true;
    }
    const cells = row as Record<string, unknown>;
    appendFileSync(csv, `${CSV_COLUMNS.map(([, key]) => formatCell(cells[key])).join(',')}\n`);
    appendFileSync(join(this.path, 'progress.jsonl'), `${JSON.stringify(row)}\n`);
  }

  saveFinalPolicy(policy: PolicyFile): string {
    const file = join(this.path, 'final', 'policy.json');
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

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  throw new PolicygradError(`metrics.csv: unexpected value ${describeValue(value)}`);
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
