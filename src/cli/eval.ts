/** `policygrad eval`: plays a saved policy and reports its returns and episode lengths. */
import { evaluatePolicy } from '../algos/on-policy.js';
import { RecurrentActor } from '../rollouts/recurrent.js';
import {
  importPolicy,
  importRecurrentPolicy,
  isRecurrentPolicyFile,
  type PolicyFile,
} from '../policies/serialize.js';

export interface EvalReport {
  episodes: number;
  meanReturn: number;
  stdReturn: number;
  minReturn: number;
  maxReturn: number;
  meanLength: number;
}

/** Plays `file` (read and checked against its env by `openPolicy`) for `episodes` episodes. */
export function runEval(
  file: PolicyFile,
  { episodes, deterministic, seed }: { episodes: number; deterministic: boolean; seed: number },
): EvalReport {
  // A recurrent policy plays with its memory: one state for the one evaluation env, reset at every episode start.
  const policy = isRecurrentPolicyFile(file)
    ? new RecurrentActor(importRecurrentPolicy(file), 1)
    : importPolicy(file);
  const { returns, lengths } = evaluatePolicy(
    policy,
    { env: file.env, envOptions: file.envOptions },
    episodes,
    {
      deterministic,
      seed,
      normalization: file.normalization,
    },
  );
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const m = mean(returns);
  return {
    episodes,
    meanReturn: m,
    stdReturn: Math.sqrt(mean(returns.map((r) => (r - m) ** 2))),
    minReturn: Math.min(...returns),
    maxReturn: Math.max(...returns),
    meanLength: mean(lengths),
  };
}
