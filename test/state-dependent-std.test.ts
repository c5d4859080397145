/**
 * The state-dependent σ of ActorCriticPolicy (the actor outputs [μ | log σ]) as the algorithms' configs reach it:
 * `stateDependentStd`, starting at `logStdInit`, log σ clamped to [LOG_STD_MIN, LOG_STD_MAX] = [−20, 2] with zero
 * gradient beyond; and `orthogonalInit: false` as PyTorch's default nn.Linear initialisation (SB3's
 * ortho_init=False, which rl-zoo's gSDE presets use).
 */
import { describe, expect, it } from 'vitest';
import { A2C, LOG_STD_MAX, LOG_STD_MIN, PPO, TRPO } from '../src/internal.js';

describe('stateDependentStd', () => {
  it('is reachable from PPO, A2C and TRPO configs and starts log σ at logStdInit', () => {
    for (const model of [
      new PPO({ env: 'Pendulum-v1', stateDependentStd: true, logStdInit: -1.5, seed: 1 }),
      new A2C({ env: 'Pendulum-v1', stateDependentStd: true, logStdInit: -1.5, seed: 1 }),
      new TRPO({ env: 'Pendulum-v1', stateDependentStd: true, logStdInit: -1.5, seed: 1 }),
    ]) {
      expect(model.policy.spec.stateDependentStd).toBe(true);
      expect(model.policy.actor.outputSize).toBe(2);
      for (const obs of [Float32Array.of(1, 0, 0), Float32Array.of(-0.5, 0.8, 4)]) {
        const inputs = model.policy.distInputs(obs, 1);
        expect(Math.abs(inputs[1] + 1.5)).toBeLessThan(0.1); // the head's gain 0.01 keeps it near the bias
      }
    }
  });

  it(`clamps log σ to [${LOG_STD_MIN}, ${LOG_STD_MAX}] and passes no gradient (nor tangent) beyond`, () => {
    const { policy } = new PPO({ env: 'Pendulum-v1', stateDependentStd: true, seed: 2 });
    const head = policy.actor.layers[policy.actor.layers.length - 1];
    const logStdBias = head.bOffset + 1;
    const obs = Float32Array.of(0.3, 0.2, -1);
    for (const [bias, expected, passes] of [
      [5, LOG_STD_MAX, false],
      [-25, LOG_STD_MIN, false],
      [0.5, null, true],
    ] as const) {
      policy.params[logStdBias] = bias;
      const inputs = policy.distInputs(obs, 1);
      if (expected !== null) expect(inputs[1]).toBe(expected);
      else expect(Math.abs(inputs[1] - bias)).toBeLessThan(0.1);
      policy.zeroGrad();
      policy.backwardActor(Float32Array.of(0, 1), 1);
      expect(policy.grads[logStdBias] !== 0).toBe(passes);
      const tangent = new Float32Array(policy.numParams);
      tangent[logStdBias] = 1;
      expect(policy.distInputsJvp(tangent, 1)[1]).toBe(passes ? 1 : 0);
    }
  });
});

describe('orthogonalInit: false', () => {
  it("is PyTorch's nn.Linear default: W and b ~ U(±1/√fan_in), log σ at logStdInit", () => {
    const { policy } = new PPO({ env: 'Pendulum-v1', orthogonalInit: false, logStdInit: -3.29, seed: 3 });
    const first = policy.actor.layers[0]; // 3 → 64
    const w = policy.params.subarray(first.wOffset, first.wOffset + first.nIn * first.nOut);
    const b = policy.params.subarray(first.bOffset, first.bOffset + first.nOut);
    const bound = 1 / Math.sqrt(3);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound); // spread over the whole interval
    expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(0.5 * bound); // biases drawn too, not zero
    // a uniform on ±bound has variance bound²/3 (192 draws: within 4 standard errors)
    const variance = w.reduce((a, v) => a + v * v, 0) / w.length;
    expect(Math.abs(variance - bound ** 2 / 3)).toBeLessThan(
      (4 * (bound ** 2 * (2 / Math.sqrt(45)))) / Math.sqrt(w.length),
    );
    expect(policy.params[policy.actor.numParams]).toBeCloseTo(-3.29, 6);
  });
});
