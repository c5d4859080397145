/**
 * Not a loss: copies the current policy's distribution inputs of every row into `into` ([rows × inputSize]), with
 * the rows' masks applied. Run with `evaluateLoss` before an update to capture π_old for the KL terms (PPO's
 * penalty, PPG's behavioural cloning), in the same chunked pass as any measurement.
 */
import type { HeadGradients, HeadOutputs, LossTerm, TermNeeds } from './accumulate.js';

export class CaptureDistInputs implements LossTerm {
  readonly name = 'captureDistInputs';
  readonly needs: TermNeeds = { distInputs: true };

  constructor(readonly into: Float32Array) {}

  begin(): void {}

  accumulate(out: HeadOutputs, _rows: unknown, _grads: HeadGradients | null): void {
    this.into.set(out.distInputs as Float32Array, out.start * out.dist.inputSize);
  }

  finish(): void {}
}

/** The term that captures the distribution inputs into `into`. */
export function captureDistInputs(into: Float32Array): CaptureDistInputs {
  return new CaptureDistInputs(into);
}
