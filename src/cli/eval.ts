/** `policygrad eval`: plays a saved policy and reports its returns and episode lengths. */
import { evaluatePolicy, importPolicy } from '../node.js';
import { readPolicyFile } from '../train/run-dir.js';

export interface EvalReport {
  episodes: number;
  meanReturn: number;
  stdReturn: number;
  minReturn: number;
  maxReturn: number;
  meanLength: number;
}

export function runEval(
  path: string,
  { episodes, deterministic, seed }: { episodes: number; deterministic: boolean; seed: number },
): EvalReport {
  const file = readPolicyFile(path);
  const policy = importPolicy(file);
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
