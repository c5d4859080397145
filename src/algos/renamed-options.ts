/**
 * Config keys renamed by issue 15 so that one name means one thing across the algorithms, per algorithm: the old
 * key → the new one, and why. A config a user writes with an old key is refused in one line naming the new key
 * (`declareRenamedOptions` next to each schema, checked by `parseOptions`); a saved model or run directory written
 * with an old key is read in today's names (`upgradeSavedConfig`).
 */
const TRUST_REGION = {
  targetKl: ["maxKl (TRPO/NPG's trust-region radius δ, a constraint, not a target to stop at)", 'maxKl'],
} as const;

/** algo → old key → [the refusal's "renamed to …" text, the new key]. */
export const RENAMED_CONFIG_KEYS: Record<string, Record<string, readonly [string, string]>> = {
  ppo: {
    klTarget: [
      "klPenaltyTarget (the adaptive KL penalty's target d_targ; targetKl stays SB3's early stop)",
      'klPenaltyTarget',
    ],
  },
  trpo: TRUST_REGION,
  npg: TRUST_REGION,
  reinforce: {
    normalizeAdvantages: ['normalizeAdvantage (as SB3 and the other algorithms)', 'normalizeAdvantage'],
    batchSteps: ['nSteps (steps from each env per batch, as the other algorithms)', 'nSteps'],
    valueEpochs: [
      "nCriticUpdates (critic epochs per iteration, as TRPO and sb3-contrib's TRPO)",
      'nCriticUpdates',
    ],
  },
};

/** The refusal texts of `algo`'s renamed keys, for `declareRenamedOptions`. */
export function renamedOptionsOf(algo: string): Record<string, string> {
  const renamed = RENAMED_CONFIG_KEYS[algo] ?? {};
  return Object.fromEntries(Object.entries(renamed).map(([old, [message]]) => [old, message]));
}
