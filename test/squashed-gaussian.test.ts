/**
 * The tanh-squashed Gaussian (SB3's SquashedDiagGaussianDistribution, `squash_output`): its density integrates
 * to 1 over (−1, 1) (so the log-det-Jacobian correction is right), the policy's actions stay inside the bounds
 * and are rescaled onto them, and the quadrature behind its entropy is exact on polynomials. The generic checks
 * (gradients by finite differences, entropy and KL by Monte Carlo, the Fisher metric) are in
 * distributions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  ActorCriticPolicy,
  BaseEnv,
  Box,
  DiagGaussian,
  gaussHermite,
  inverseSquash,
  PPO,
  register,
  type ResetResult,
  Rng,
  SquashedDiagGaussian,
  type StepResult,
} from '../src/internal.js';

/** One step, observation 0, records the action the env receives. */
class RecordingEnv extends BaseEnv<Float32Array, Float32Array> {
  static received: number[][] = [];
  readonly observationSpace = new Box<Float32Array>({ low: -1, high: 1, shape: [1] });
  readonly actionSpace = new Box<Float32Array>({ low: [0, -3], high: [4, -1], shape: [2] });
  reset(): ResetResult<Float32Array> {
    return { observation: Float32Array.of(0), info: {} };
  }
  step(action: Float32Array): StepResult<Float32Array> {
    RecordingEnv.received.push(Array.from(action));
    return { observation: Float32Array.of(0), reward: 0, terminated: true, truncated: false, info: {} };
  }
}
register({ id: 'TestRecordingBox-v0', entryPoint: () => new RecordingEnv() });

describe('SquashedDiagGaussian', () => {
  it('its density integrates to 1 over (−1, 1) and log π(a) = log N(atanh a) − log(1 − a² + ε)', () => {
    const dist = new SquashedDiagGaussian(1);
    for (const [mean, logStd] of [
      [0, 0],
      [1.2, -0.7],
      [-0.4, 0.6],
    ]) {
      const inputs = Float64Array.of(mean, logStd);
      // substitute a = tanh(u): ∫ π(a) da = ∫ π(tanh u)(1 − tanh² u) du, trapezoid on a wide grid
      let total = 0;
      const du = 1e-3;
      const lp = new Float64Array(1);
      for (let u = mean - 12 * Math.exp(logStd); u <= mean + 12 * Math.exp(logStd); u += du) {
        const a = Math.tanh(u);
        dist.logProb(inputs, Float64Array.of(a), 1, lp);
        total += Math.exp(lp[0]) * (1 - a * a) * du;
      }
      expect(total).toBeCloseTo(1, 3); // ε = 1e-6 in the correction costs ~1e-6
      const a = 0.3;
      const gaussian = new Float64Array(1);
      new DiagGaussian(1).logProb(inputs, Float64Array.of(Math.atanh(a)), 1, gaussian);
      dist.logProb(inputs, Float64Array.of(a), 1, lp);
      expect(lp[0]).toBeCloseTo(gaussian[0] - Math.log(1 - a * a + 1e-6), 12);
    }
    expect(inverseSquash(1)).toBeCloseTo(Math.atanh(1 - 1.1920928955078125e-7), 10); // clamped as SB3
  });

  it('Gauss–Hermite: Σw = √π, Σw x² = √π/2, Σw x⁴ = 3√π/4', () => {
    const { nodes, weights } = gaussHermite(40);
    const moment = (p: number) => nodes.reduce((acc, x, k) => acc + weights[k] * x ** p, 0);
    expect(moment(0)).toBeCloseTo(Math.sqrt(Math.PI), 12);
    expect(moment(2)).toBeCloseTo(Math.sqrt(Math.PI) / 2, 12);
    expect(moment(4)).toBeCloseTo((3 * Math.sqrt(Math.PI)) / 4, 11);
  });

  it('mode is tanh(μ); samples lie in (−1, 1)', () => {
    const dist = new SquashedDiagGaussian(1);
    const n = 1000;
    const inputs = new Float64Array(2 * n);
    for (let b = 0; b < n; b++) inputs.set([2, 0.5], 2 * b);
    const actions = new Float64Array(n);
    dist.sample(inputs, n, Rng.fromSeed(1), actions);
    expect(actions.every((a) => a >= -1 && a <= 1)).toBe(true);
    const mode = new Float64Array(1);
    dist.mode(inputs, 1, mode);
    expect(mode[0]).toBeCloseTo(Math.tanh(2), 15);
  });

  it('policy with squashOutput: the env receives low + (a + 1)(high − low)/2, inside the bounds, never clipped', () => {
    RecordingEnv.received = [];
    const model = new PPO({
      env: 'TestRecordingBox-v0',
      squashOutput: true,
      logStdInit: 1,
      numEnvs: 2,
      nSteps: 32,
      batchSize: 32,
      seed: 3,
    });
    expect(model.policy.dist).toBeInstanceOf(SquashedDiagGaussian);
    model.learn({ totalTimesteps: 64 });
    expect(RecordingEnv.received.length).toBe(64);
    for (const [x, y] of RecordingEnv.received) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(4);
      expect(y).toBeGreaterThanOrEqual(-3);
      expect(y).toBeLessThanOrEqual(-1);
    }
    // σ = e: a plain Gaussian would be clipped at the bounds often; squashed actions land there almost never
    const atBound = RecordingEnv.received.filter(([x]) => x === 0 || x === 4).length;
    expect(atBound).toBeLessThan(3);
    const obs = Float32Array.of(0);
    const a = model.predict(obs) as Float32Array; // deterministic: tanh(μ)
    const inputs = model.policy.distInputs(obs, 1);
    expect(a[0]).toBeCloseTo(Math.tanh(inputs[0]), 6);
  });

  it('refuses a Discrete action space and unbounded Box actions, in one line', () => {
    expect(() => new PPO({ env: 'CartPole-v1', squashOutput: true })).toThrow(
      /^squashOutput: a squashed Gaussian needs a Box action space, not Discrete\(2\)$/,
    );
    expect(
      () =>
        new ActorCriticPolicy(
          {
            observationSpace: new Box({ low: -1, high: 1, shape: [1] }),
            actionSpace: new Box({ low: -Infinity, high: Infinity, shape: [1] }),
            squashOutput: true,
          },
          Rng.fromSeed(0),
        ),
    ).toThrow(/bounds must be finite .* dimension 0 is \[-Infinity, Infinity\]/);
  });
});
