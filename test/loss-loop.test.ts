/**
 * The one chunked loop (src/algos/loss/accumulate.ts): the compositions of the terms give what a straightforward
 * reference computes in one pass over the whole minibatch, bit for bit (A2C, PPO clip, PPO KL penalty, clip + KL;
 * both value losses, with and without value clipping; every kind of policy head), the result does not depend on
 * the chunk size, and the gradient reaches the parameters through chunks (finite differences through the networks).
 */
import { describe, expect, it } from 'vitest';
import { type ActorCriticPolicy, type Minibatch, type ValueLossForm } from '../src/internal.js';
import { accumulateLoss, evaluateLoss, LossScratch } from '../src/algos/loss/accumulate.js';
import { surrogate } from '../src/algos/loss/surrogate.js';
import { klPenalty } from '../src/algos/loss/kl-penalty.js';
import { entropyBonus } from '../src/algos/loss/entropy-bonus.js';
import { valueLoss } from '../src/algos/loss/value-loss.js';
import { capture } from '../src/algos/loss/capture.js';
import { bits, makePolicy, makeRows, POLICY_KINDS, type PolicyKind } from './loss-fixtures.js';
import {
  addLogLikelihoodGradient,
  expectFiniteDifferences,
  type PPOLossOptions,
  type PPOObjective,
  ppoRows,
  ppoTerms,
} from './helpers.js';
import { tsKernels } from '../src/nn/kernels.js';
import { createWasmKernels } from '../src/nn/wasm-kernels.js';

/**
 * The reference: PPO's loss written out over the whole minibatch at once, per row in float64 (Schulman et al.
 * 2017, eqs. 7–9; the value losses of SB3 and CleanRL), its head gradients built with the distribution's own
 * primitives in the order surrogate, entropy, KL, then one backward pass each for the actor and the critic. It
 * shares no code with the terms or the loop. Adds ∂L/∂θ to `policy.grads`.
 */
function referenceLoss(policy: ActorCriticPolicy, mb: Minibatch, o: PPOLossOptions) {
  const { dist } = policy;
  const B = mb.size;
  const eps = o.clipRange ?? Number.POSITIVE_INFINITY;
  const beta = o.klBeta ?? 0;
  const clipped = o.objective === 'clip' || o.objective === 'clip+kl';
  const penalised = o.objective === 'kl-penalty' || o.objective === 'clip+kl';
  const { advantages } = ppoRows(mb, o.normalizeAdvantage);
  const inputs = policy.distInputs(mb.observations, B, mb.masks ?? undefined);
  const logProbs = new Float64Array(B);
  const entropies = new Float64Array(B);
  dist.logProb(inputs, mb.actions, B, logProbs);
  dist.entropy(inputs, B, entropies);
  const weights = new Float64Array(B); // ∂L/∂log π_b
  let surrogateSum = 0;
  let entropySum = 0;
  let approxKl = 0;
  let clipCount = 0;
  for (let b = 0; b < B; b++) {
    const logRatio = logProbs[b] - mb.oldLogProbs[b];
    const r = Math.exp(logRatio);
    const unclipped = r * advantages[b];
    const clippedTerm = Math.min(Math.max(r, 1 - eps), 1 + eps) * advantages[b];
    const useClipped = clipped && clippedTerm < unclipped;
    surrogateSum += useClipped ? clippedTerm : unclipped;
    weights[b] = -(useClipped ? 0 : unclipped) / B; // ∂(r·Â)/∂log π = r·Â; 0 on the clipped side
    entropySum += entropies[b];
    approxKl += r - 1 - logRatio;
    if (Math.abs(r - 1) > eps) clipCount++;
  }
  const gradInputs = new Float32Array(B * dist.inputSize);
  dist.gradLogProb(inputs, mb.actions, B, weights, gradInputs);
  if (o.entCoef !== 0) dist.gradEntropy(inputs, B, new Float64Array(B).fill(-o.entCoef / B), gradInputs);
  let kl: number | null = null;
  if (penalised && mb.oldDistInputs !== null) {
    const kls = new Float64Array(B);
    dist.kl(mb.oldDistInputs, inputs, B, kls);
    kl = 0;
    for (let b = 0; b < B; b++) kl += kls[b];
    kl /= B;
    dist.gradKl(mb.oldDistInputs, inputs, B, new Float64Array(B).fill(beta / B), gradInputs);
  }
  policy.backwardActor(gradInputs, B);

  const values = policy.values(mb.observations, B);
  const gradValues = new Float32Array(B);
  const epsV = o.clipRangeVf ?? null;
  let valueSum = 0;
  for (let b = 0; b < B; b++) {
    const v = values[b];
    const old = mb.oldValues[b];
    const vClip = epsV === null || Math.abs(v - old) <= epsV ? v : old + Math.sign(v - old) * epsV;
    const err = v - mb.returns[b];
    const errClip = vClip - mb.returns[b];
    const through = vClip === v ? 1 : 0; // the clamp is flat outside V_old ± ε_V
    if ((o.valueLoss ?? 'sb3') === 'sb3') {
      valueSum += errClip * errClip; // (V_clip − R)²
      gradValues[b] = (o.vfCoef * 2 * errClip * through) / B;
    } else if (err * err >= errClip * errClip) {
      valueSum += 0.5 * err * err; // ½·max((V − R)², (V_clip − R)²)
      gradValues[b] = (o.vfCoef * err) / B;
    } else {
      valueSum += 0.5 * errClip * errClip;
      gradValues[b] = (o.vfCoef * errClip * through) / B;
    }
  }
  policy.backwardCritic(gradValues, B);
  return {
    policyLoss: -surrogateSum / B + (kl === null ? 0 : beta * kl),
    valueLoss: valueSum / B,
    entropy: entropySum / B,
    approxKl: approxKl / B,
    clipFraction: clipCount / B,
    kl,
  };
}

const OBJECTIVES: PPOObjective[] = ['none', 'clip', 'kl-penalty', 'clip+kl'];
const VALUE_LOSSES: [ValueLossForm, number | null][] = [
  ['sb3', null],
  ['sb3', 0.2],
  ['cleanrl', null],
  ['cleanrl', 0.2],
];

describe.each(POLICY_KINDS)('compositions = the one-pass reference bit for bit, %s policy', (kind) => {
  it.each(OBJECTIVES)('%s, every value loss, advantages normalised or not', (objective) => {
    let seed = 11;
    for (const [form, clipRangeVf] of VALUE_LOSSES) {
      for (const normalizeAdvantage of [false, true]) {
        seed++;
        const policy = makePolicy(kind, seed);
        const mb = makeRows(policy, kind, 64, seed + 1);
        if (objective === 'clip' || objective === 'none') mb.oldDistInputs = null; // as PPO gathers them
        const options: PPOLossOptions = {
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
        const reference = referenceLoss(policy, mb, options);
        const expected = policy.grads.slice();
        expect(expected.some((g) => g !== 0)).toBe(true);
        policy.zeroGrad();
        const report = accumulateLoss(
          policy,
          ppoRows(mb, normalizeAdvantage),
          ppoTerms(options),
          new LossScratch(),
        );
        const label = `${form} ${clipRangeVf} normalise ${normalizeAdvantage}`;
        expect(bits(policy.grads), label).toEqual(bits(expected));
        const m = report.metrics;
        expect(m.policyLoss, label).toBe(reference.policyLoss);
        expect(m.valueLoss, label).toBe(reference.valueLoss);
        expect(m.entropy, label).toBe(reference.entropy);
        expect(m.approxKl, label).toBe(reference.approxKl);
        expect(m.clipFraction, label).toBe(reference.clipFraction);
        if (reference.kl !== null) expect(m.kl, label).toBe(reference.kl);
      }
    }
  });
});

describe.each(POLICY_KINDS)(
  "REINFORCE's and TRPO's composition = the one-pass reference, %s policy",
  (kind) => {
    it('[surrogate log-likelihood, entropyBonus(0)] over a batch, then the weighted surrogate over a reused one', () => {
      const policy = makePolicy(kind, 71);
      const batch = makeRows(policy, kind, 40, 72);
      const reused = makeRows(policy, kind, 24, 73);
      const weights = Float64Array.from(reused.advantages, (a) => Math.exp(0.3 * a)); // any positive weights
      const total = batch.size + reused.size;
      policy.zeroGrad();
      // L = −(1/N) Σ w·Ψ·log π over both batches: ∂L/∂log π_k = −w_k·Ψ_k/N.
      addLogLikelihoodGradient(
        policy,
        batch.observations,
        batch.actions,
        batch.advantages.map((a) => -a / total),
        batch.masks ?? undefined,
      );
      addLogLikelihoodGradient(
        policy,
        reused.observations,
        reused.actions,
        reused.advantages.map((a, k) => -(weights[k] * a) / total),
        reused.masks ?? undefined,
      );
      const expected = policy.grads.slice();
      expect(expected.some((g) => g !== 0)).toBe(true);
      const logProbs = new Float64Array(batch.size);
      policy.dist.logProb(
        policy.distInputs(batch.observations, batch.size, batch.masks ?? undefined),
        batch.actions,
        batch.size,
        logProbs,
      );
      let expectedLoss = 0;
      for (let k = 0; k < batch.size; k++) expectedLoss += (-batch.advantages[k] / total) * logProbs[k];

      policy.zeroGrad();
      const scratch = new LossScratch({ chunk: 16 });
      const pseudoLoss = [surrogate({ form: 'log-likelihood' }), entropyBonus(0)];
      const first = { ...accumulateLoss(policy, batch, pseudoLoss, scratch, total).metrics };
      accumulateLoss(policy, { ...reused, weights }, [pseudoLoss[0]], scratch, total);
      // Chunks of 16 rows against one pass: each row's ∂W is added in row order either way (no critic here).
      expect(bits(policy.grads)).toEqual(bits(expected));
      expect(first.policyLoss).toBe(expectedLoss);
      expect(first.approxKl).toBeUndefined(); // the log-likelihood form has no ratio
    });
  },
);

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
      // finite-difference checks of PPO's composition in test/ppo.test.ts.
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
