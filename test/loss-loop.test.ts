/**
 * The one chunked loop (src/algos/loss/accumulate.ts): the compositions of the terms give today's
 * `accumulateSurrogateGradient` bit for bit (A2C, PPO clip, PPO KL penalty, clip + KL; both value losses, with and
 * without value clipping; every kind of policy head), the result does not depend on the chunk size, and the
 * gradient reaches the parameters through chunks (finite differences through the networks).
 */
import { describe, expect, it } from 'vitest';
import {
  accumulateSurrogateGradient,
  type Minibatch,
  normalize,
  type SurrogateObjective,
  type SurrogateOptions,
  SurrogateScratch,
  type ValueLossForm,
} from '../src/internal.js';
import {
  accumulateLoss,
  evaluateLoss,
  LossScratch,
  type LossRows,
  type LossTerm,
} from '../src/algos/loss/accumulate.js';
import { surrogate } from '../src/algos/loss/surrogate.js';
import { klPenalty } from '../src/algos/loss/kl-penalty.js';
import { entropyBonus } from '../src/algos/loss/entropy-bonus.js';
import { valueLoss } from '../src/algos/loss/value-loss.js';
import { capture } from '../src/algos/loss/capture.js';
import { bits, makePolicy, makeRows, POLICY_KINDS, type PolicyKind } from './loss-fixtures.js';
import { expectFiniteDifferences } from './helpers.js';
import { tsKernels } from '../src/nn/kernels.js';
import { createWasmKernels } from '../src/nn/wasm-kernels.js';

/** Today's option bag as a list of terms, in the order of today's float additions (surrogate, entropy, KL, V). */
function composition(o: SurrogateOptions): LossTerm[] {
  const clipped = o.objective === 'clip' || o.objective === 'clip+kl';
  const penalised = o.objective === 'kl-penalty' || o.objective === 'clip+kl';
  return [
    surrogate({ clipped, clipRange: o.clipRange }),
    entropyBonus(o.entCoef),
    ...(penalised ? [klPenalty({ beta: o.klBeta ?? 0 })] : []),
    valueLoss({ form: o.valueLoss ?? 'sb3', clipRangeVf: o.clipRangeVf, coef: o.vfCoef }),
  ];
}

/** The rows the rule hands the loop: the minibatch, its advantages normalised per minibatch when asked. */
function rowsOf(mb: Minibatch, normalizeAdvantage: boolean): LossRows {
  const advantages = mb.advantages.slice(0, mb.size);
  if (normalizeAdvantage && mb.size > 1) normalize(advantages);
  return { ...mb, advantages };
}

const OBJECTIVES: SurrogateObjective[] = ['none', 'clip', 'kl-penalty', 'clip+kl'];
const VALUE_LOSSES: [ValueLossForm, number | null][] = [
  ['sb3', null],
  ['sb3', 0.2],
  ['cleanrl', null],
  ['cleanrl', 0.2],
];

describe.each(POLICY_KINDS)('compositions = accumulateSurrogateGradient bit for bit, %s policy', (kind) => {
  it.each(OBJECTIVES)('%s, every value loss, advantages normalised or not', (objective) => {
    let seed = 11;
    for (const [form, clipRangeVf] of VALUE_LOSSES) {
      for (const normalizeAdvantage of [false, true]) {
        seed++;
        const policy = makePolicy(kind, seed);
        const mb = makeRows(policy, kind, 64, seed + 1);
        if (objective === 'clip' || objective === 'none') mb.oldDistInputs = null; // as PPO gathers them
        const options: SurrogateOptions = {
          objective,
          clipRange: 0.2,
          klBeta: 0.7,
          entCoef: seed % 4 === 0 ? 0 : 0.01,
          vfCoef: 0.5,
          clipRangeVf,
          valueLoss: form,
          normalizeAdvantage,
        };
        policy.zeroGrad();
        const today = accumulateSurrogateGradient(policy, mb, options, new SurrogateScratch());
        const expected = policy.grads.slice();
        policy.zeroGrad();
        const report = accumulateLoss(
          policy,
          rowsOf(mb, normalizeAdvantage),
          composition(options),
          new LossScratch(),
        );
        const label = `${form} ${clipRangeVf} normalise ${normalizeAdvantage}`;
        expect(bits(policy.grads), label).toEqual(bits(expected));
        const m = report.metrics;
        expect(m.policyLoss, label).toBe(today.policyLoss);
        expect(m.valueLoss, label).toBe(today.valueLoss);
        expect(m.entropy, label).toBe(today.entropy);
        expect(m.approxKl, label).toBe(today.approxKl);
        expect(m.clipFraction, label).toBe(today.clipFraction);
        if (today.kl !== null) expect(m.kl, label).toBe(today.kl);
      }
    }
  });
});

describe('the chunked loop', () => {
  const ppoTerms = () => [
    surrogate({ clipped: true, clipRange: 0.2 }),
    entropyBonus(0.01),
    klPenalty({ beta: 0.5 }),
    valueLoss({ form: 'cleanrl', clipRangeVf: 0.2, coef: 0.5 }),
  ];

  describe.each([
    ['typescript', tsKernels],
    ['wasm-simd', createWasmKernels()],
  ] as const)('%s kernels', (_, kernels) => {
    it.each<PolicyKind>(['masked', 'gsde', 'squashed', 'shared-trunk'])(
      '%s: chunks of 7 and of 1024 rows over 3000 rows give the same loss and metrics bit for bit, and gradients',
      (kind) => {
        if (kernels === null) throw new Error('WebAssembly SIMD kernels are unavailable');
        const policy = makePolicy(kind, 21, kernels);
        const rows = makeRows(policy, kind, 3000, 22, { actorNoise: 0.05 });
        const run = (chunk: number) => {
          policy.zeroGrad();
          const report = accumulateLoss(policy, rows, ppoTerms(), new LossScratch({ chunk }));
          return { metrics: { ...report.metrics }, loss: report.loss, grads: policy.grads.slice() };
        };
        const small = run(7);
        const large = run(1024);
        // Values are running sums over the rows in order: independent of the chunking.
        expect(small.metrics).toEqual(large.metrics);
        expect(small.loss).toBe(large.loss);
        if (kind !== 'shared-trunk') {
          // Both kernels add each row's ∂W into the float32 gradient in row order: the same additions.
          expect(bits(small.grads)).toEqual(bits(large.grads));
          return;
        }
        // A shared trunk receives the actor's and the critic's gradient chunk by chunk (actor, critic, actor, …),
        // so its float32 additions are reordered: each rounding ≤ 2⁻²⁴ of a partial sum, ≲ √(3000)·2⁻²⁴ ≈ 3e-6
        // relative in all; allowed 1e-5 of the largest gradient (measured: 3e-7).
        const largest = Math.max(...large.grads.map(Math.abs));
        const difference = Math.max(...large.grads.map((g, i) => Math.abs(g - small.grads[i])));
        expect(largest).toBeGreaterThan(1e-3);
        expect(difference / largest, `max |Δg| ${difference} of max |g| ${largest}`).toBeLessThan(1e-5);
      },
    );
  });

  // Not gSDE here: its σ(s) reads the actor's features detached (SB3's learn_features=False, src/policies/gsde.ts),
  // so its gradient is deliberately not the derivative of the loss in the hidden layers' parameters.
  it.each<PolicyKind>(['masked', 'squashed', 'shared-trunk', 'state-dependent-std'])(
    '%s: the gradient through 5-row chunks matches finite differences of the loss in the parameters',
    (kind) => {
      const policy = makePolicy(kind, 31);
      const rows = makeRows(policy, kind, 23, 32, { actorNoise: 0.05 });
      const terms = [
        surrogate({ clipped: true, clipRange: 0.2 }),
        entropyBonus(0.05),
        klPenalty({ beta: 0.7 }),
        valueLoss({ form: 'sb3', coef: 0.5 }),
      ];
      const scratch = new LossScratch({ chunk: 5 });
      const lossAt = () => {
        policy.zeroGrad();
        return accumulateLoss(policy, rows, terms, scratch).loss;
      };
      lossAt();
      const grads = policy.grads.slice();
      // Parameters perturbed in float32 networks: the helper's tolerance (2 % of max(0.1, |fd|)), as the
      // finite-difference checks of accumulateSurrogateGradient in test/ppo.test.ts.
      const indices = [0, 5, 17, policy.actorParamCount - 1, policy.criticOffset + 2, policy.numParams - 1];
      expectFiniteDifferences(policy.params, grads, indices, lossAt, { h: 1e-3, floor: 0.1 });
    },
  );

  it('every term divides by the total rows given (REINFORCE: this batch and the reused ones), metrics stay means', () => {
    const policy = makePolicy('discrete', 45);
    const rows = makeRows(policy, 'discrete', 30, 46);
    const terms = [surrogate(), entropyBonus(0.01), klPenalty({ beta: 0.3 }), valueLoss({ coef: 0.5 })];
    policy.zeroGrad();
    const alone = { ...accumulateLoss(policy, rows, terms, new LossScratch({ chunk: 8 })) };
    const metrics = { ...alone.metrics };
    const grads = policy.grads.slice();
    policy.zeroGrad();
    // Twice the rows: every contribution halves, exactly (a power of two).
    const shared = accumulateLoss(policy, rows, terms, new LossScratch({ chunk: 8 }), 60);
    expect(shared.loss).toBe(alone.loss / 2);
    expect(shared.metrics.policyLoss).toBe(metrics.policyLoss / 2);
    for (const key of ['entropy', 'valueLoss', 'kl', 'approxKl', 'clipFraction']) {
      expect(shared.metrics[key], key).toBe(metrics[key]);
    }
    expect(bits(policy.grads)).toEqual(bits(grads.map((g) => g / 2)));
  });

  it('evaluateLoss reports what accumulateLoss reports and leaves the gradients alone', () => {
    const policy = makePolicy('gaussian', 41);
    const rows = makeRows(policy, 'gaussian', 50, 42);
    const terms = [surrogate(), entropyBonus(0.01), klPenalty({ beta: 0.3 }), valueLoss({ coef: 0.5 })];
    policy.zeroGrad();
    const accumulated = { ...accumulateLoss(policy, rows, terms, new LossScratch({ chunk: 16 })).metrics };
    policy.grads.fill(3);
    const evaluated = evaluateLoss(policy, rows, terms, new LossScratch({ chunk: 16 }));
    expect(evaluated.metrics).toEqual(accumulated);
    expect(policy.grads.every((g) => g === 3)).toBe(true);
  });

  it('capture copies the masked distribution inputs and the log-probabilities of every row, chunk by chunk', () => {
    const policy = makePolicy('masked', 51);
    const rows = makeRows(policy, 'masked', 40, 52);
    const distInputs = new Float32Array(40 * policy.dist.inputSize);
    const logProbs = new Float64Array(40);
    evaluateLoss(policy, rows, [capture({ distInputs, logProbs })], new LossScratch({ chunk: 9 }));
    const expected = Float32Array.from(policy.distInputs(rows.observations, 40, rows.masks ?? undefined));
    expect(bits(distInputs)).toEqual(bits(expected));
    const expectedLogProbs = new Float64Array(40);
    policy.dist.logProb(expected, rows.actions, 40, expectedLogProbs);
    expect(logProbs).toEqual(expectedLogProbs);
    expect(() => capture({})).toThrow('capture: give distInputs and/or logProbs to copy into');
  });

  it('a term missing a row field says which, in one line', () => {
    const policy = makePolicy('discrete', 61);
    const rows = makeRows(policy, 'discrete', 8, 62);
    expect(() =>
      accumulateLoss(policy, { ...rows, oldDistInputs: null }, [klPenalty({ beta: 1 })], new LossScratch()),
    ).toThrow('the klPenalty loss term needs rows.oldDistInputs, which was not given');
    expect(() =>
      accumulateLoss(
        policy,
        { ...rows, oldValues: null },
        [valueLoss({ clipRangeVf: 0.2, coef: 1 })],
        new LossScratch(),
      ),
    ).toThrow('the valueLoss loss term needs rows.oldValues, which was not given');
  });
});
