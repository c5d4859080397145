/**
 * Not a loss: copies the current policy's outputs for every row — the distribution inputs [rows × inputSize]
 * (masks applied) and/or log π(a|s) of the rows' actions [rows] — in the same chunked pass as any measurement.
 * Run with `evaluateLoss`: π_old before an update for the KL terms (PPO's penalty, PPG's behavioural cloning), or
 * the current log-probabilities of stored rows (REINFORCE's importance ratios).
 */
import { PolicygradError } from '../../errors.js';
import type { HeadGradients, HeadOutputs, LossTerm, TermNeeds } from './accumulate.js';

export interface CaptureTargets {
  distInputs?: Float32Array;
  logProbs?: Float64Array;
}

export class Capture implements LossTerm {
  readonly name = 'capture';
  readonly needs: TermNeeds;

  constructor(readonly into: CaptureTargets) {
    if (into.distInputs === undefined && into.logProbs === undefined) {
      throw new PolicygradError('capture: give distInputs and/or logProbs to copy into');
    }
    this.needs = { distInputs: true, logProbs: into.logProbs !== undefined };
  }

  begin(): void {}

  accumulate(out: HeadOutputs, _rows: unknown, _grads: HeadGradients | null): void {
    const { distInputs, logProbs } = this.into;
    if (distInputs !== undefined)
      distInputs.set(out.distInputs as Float32Array, out.start * out.dist.inputSize);
    if (logProbs !== undefined) logProbs.set(out.logProbs.subarray(0, out.size), out.start);
  }

  finish(): void {}
}

/** The term that captures the policy's outputs into `into` (see the module comment). */
export function capture(into: CaptureTargets): Capture {
  return new Capture(into);
}
