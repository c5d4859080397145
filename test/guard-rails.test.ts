/**
 * Hyperparameters that break an assumption of the math are refused with the reason, in one line: the config, the
 * option, the value, why.
 */
import { describe, expect, it } from 'vitest';
import {
  A2C,
  makeVec,
  NPG,
  parseA3CConfig,
  PolicygradError,
  PPO,
  Reinforce,
  runVarianceLab,
  TRPO,
  VecNormalize,
} from '../src/internal.js';

const cases: [string, () => unknown, RegExp][] = [
  [
    'NPG cgDamping 0',
    () => new NPG({ cgDamping: 0 }),
    /NPG config: option 'cgDamping' = 0 is invalid: must be > 0 \(the Fisher matrix F is singular/,
  ],
  [
    'TRPO cgDamping −1',
    () => new TRPO({ cgDamping: -1 }),
    /option 'cgDamping' = -1 .*Fisher matrix F is singular/,
  ],
  [
    'PPO γ 1.5',
    () => new PPO({ gamma: 1.5 }),
    /option 'gamma' = 1\.5 is invalid: .*with γ > 1 the returns Σ γ\^k r_k diverge/,
  ],
  [
    'A2C γ −0.1',
    () => new A2C({ gamma: -0.1 }),
    /option 'gamma' = -0\.1 is invalid: a discount factor is in \[0, 1\]/,
  ],
  ['REINFORCE γ 2', () => new Reinforce({ gamma: 2 }), /REINFORCE config: option 'gamma' = 2 .*diverge/],
  [
    'variance lab γ 1.01',
    () => runVarianceLab({ gamma: 1.01 }),
    /variance lab: option 'gamma' = 1\.01 .*diverge/,
  ],
  [
    'PPO λ 1.2',
    () => new PPO({ gaeLambda: 1.2 }),
    /option 'gaeLambda' = 1\.2 is invalid: GAE λ is in \[0, 1\]/,
  ],
  [
    'REINFORCE λ −0.5',
    () => new Reinforce({ gaeLambda: -0.5 }),
    /option 'gaeLambda' = -0\.5 .*GAE λ is in \[0, 1\]/,
  ],
  [
    'PPO clip 0',
    () => new PPO({ clipRange: 0 }),
    /option 'clipRange' = 0 is invalid: must be > 0 \(a step size or clip range of 0/,
  ],
  [
    'PPO clip lin_0',
    () => new PPO({ clipRange: 'lin_0' }),
    /option 'clipRange' = "lin_0" .*lin_0 is 0 from the first step/,
  ],
  [
    'A2C lr −1e-3',
    () => new A2C({ learningRate: -1e-3 }),
    /option 'learningRate' = -0\.001 is invalid: must be > 0/,
  ],
  [
    'REINFORCE lr 0',
    () => new Reinforce({ learningRate: 0 }),
    /option 'learningRate' = 0 is invalid: must be > 0 \(0 never moves; < 0 climbs the loss\)/,
  ],
  [
    'REINFORCE value lr 0',
    () => new Reinforce({ valueLearningRate: 0 }),
    /option 'valueLearningRate' = 0 .*never moves/,
  ],
  [
    'PPO maxGradNorm 0',
    () => new PPO({ maxGradNorm: 0 }),
    /option 'maxGradNorm' = 0 is invalid: must be > 0 \(clipping scales g by c\/‖g‖/,
  ],
  [
    'REINFORCE maxGradNorm −1',
    () => new Reinforce({ maxGradNorm: -1 }),
    /option 'maxGradNorm' = -1 .*c ≤ 0 zeroes or reverses it/,
  ],
  [
    'A2C entCoef −0.01',
    () => new A2C({ entCoef: -0.01 }),
    /option 'entCoef' = -0\.01 is invalid: must be ≥ 0 \(a negative coefficient/,
  ],
  [
    'A2C RMSprop α 1',
    () => new A2C({ rmsPropAlpha: 1 }),
    /option 'rmsPropAlpha' = 1 is invalid: RMSprop α must be < 1/,
  ],
  [
    'A3C RMSprop α 1',
    () => parseA3CConfig({ rmsPropAlpha: 1 }),
    /A3C config: option 'rmsPropAlpha' = 1 .*squared-gradient average stays 0/,
  ],
  [
    'PPO minibatch of 1',
    () => new PPO({ batchSize: 1 }),
    /PPO config: option 'batchSize' = 1 is invalid: advantage normalisation needs at least 2 samples per minibatch/,
  ],
  [
    'PPO batch of 1',
    () => new PPO({ nSteps: 1, numEnvs: 1 }),
    /PPO config: option 'nSteps' = 1 is invalid: advantage normalisation needs at least 2 samples per batch/,
  ],
  [
    'A2C batch of 1, normalised',
    () => new A2C({ nSteps: 1, normalizeAdvantage: true }),
    /A2C config: option 'nSteps' = 1 .*at least 2 samples/,
  ],
  ['TRPO batch of 1', () => new TRPO({ nSteps: 1 }), /TRPO config: option 'nSteps' = 1 .*at least 2 samples/],
  [
    'A3C batch of 1, normalised',
    () => parseA3CConfig({ nSteps: 1, normalizeAdvantage: true }),
    /A3C config: option 'nSteps' = 1 .*at least 2 samples/,
  ],
  [
    'REINFORCE c̄ 0',
    () => new Reinforce({ importanceWeightClip: 0 }),
    /option 'importanceWeightClip' = 0 .*drop every reused sample/,
  ],
  [
    'REINFORCE reuse with GAE',
    () => new Reinforce({ gaeLambda: 0.95, reuseBatches: 2 }),
    /reuseBatches = 2 needs Monte-Carlo returns \(gaeLambda: null\)/,
  ],
  [
    'VecNormalize clipReward 0',
    () => new VecNormalize(makeVec('CartPole-v1', 1), { clipReward: 0 }),
    /VecNormalize: invalid clipReward 0: expected a finite number > 0/,
  ],
  [
    'VecNormalize clipObservation −5',
    () => new VecNormalize(makeVec('CartPole-v1', 1), { clipObservation: -5 }),
    /invalid clipObservation -5/,
  ],
  [
    'VecNormalize ε 0',
    () => new VecNormalize(makeVec('CartPole-v1', 1), { epsilon: 0 }),
    /invalid epsilon 0: .*divides by 0/,
  ],
];

describe('guard rails: values that break the math are refused with the reason', () => {
  it.each(cases)('%s', (_name, build, message) => {
    let error: unknown = null;
    try {
      build();
    } catch (e) {
      error = e;
    }
    expect(error, 'accepted').toBeInstanceOf(PolicygradError);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    expect(text).not.toContain('\n'); // one line
  });

  it('the boundary values the math allows are accepted', () => {
    expect(() => new PPO({ gamma: 1, gaeLambda: 1, batchSize: 2, nSteps: 2 })).not.toThrow();
    expect(() => new A2C({ gamma: 0, gaeLambda: 0, rmsPropAlpha: 0, nSteps: 1 })).not.toThrow(); // not normalised
    expect(() => new NPG({ cgDamping: 1e-8 })).not.toThrow();
    expect(() => new PPO({ clipRange: 'lin_0.2', learningRate: 'lin_3e-4' })).not.toThrow();
  });
});
