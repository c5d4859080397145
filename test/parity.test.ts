// Presets named after a reference carry the reference's behaviour (docs/parity.md has the line-by-line table).
import { describe, expect, it } from 'vitest';
import {
  A2C,
  type Adam,
  createTrustRegionUpdate,
  NPG,
  PPO,
  readFloatArrayInto,
  TRPO,
} from '../src/internal.js';

describe('presets named after a reference behave like it', () => {
  it("PPO `cleanrl`: CleanRL's value loss and truncations ended like terminations (ppo.py)", () => {
    const ppo = new PPO({ preset: 'cleanrl' });
    expect(ppo.config.valueLoss).toBe('cleanrl');
    expect(ppo.config.truncation).toBe('terminate');
    expect(ppo.config.clipRangeVf).toBe(0.2);
    // The `zoo` presets are SB3's: its value loss, truncations bootstrapped.
    const zoo = new PPO({ preset: 'zoo' });
    expect(zoo.config.valueLoss).toBe('sb3');
    expect(zoo.config.truncation).toBe('bootstrap');
  });

  it("A2C's RMSprop is SB3's default (torch.optim.RMSprop: the average of g² starts at 0), TensorFlow's on request", () => {
    const average = (a2c: A2C) => {
      const { buffers } = a2c.checkpoint().optimizers.actorCritic;
      const values = new Float64Array(a2c.policy.params.length);
      readFloatArrayInto(buffers[0], values, 'RMSprop average');
      return values;
    };
    expect(new Set(average(new A2C({ preset: 'zoo' })))).toEqual(new Set([0]));
    expect(new Set(average(new A2C({ rmsPropStyle: 'tensorflow' })))).toEqual(new Set([1]));
  });
});

describe('TRPO and NPG against sb3-contrib', () => {
  it("the critic's Adam has sb3-contrib's ε = 1e-5 (SB3's policy Adam), Adam's usual 1e-8 on request", () => {
    // The rule's critic optimizer, as TRPO's and NPG's definition builds it for the model's parts and config.
    const epsilon = (model: TRPO | NPG) =>
      (createTrustRegionUpdate(model.parts, model.config).optimizers.critic as Adam).epsilon;
    expect(epsilon(new TRPO({ preset: 'zoo' }))).toBe(1e-5);
    expect(epsilon(new NPG({ preset: 'zoo' }))).toBe(1e-5);
    expect(epsilon(new TRPO({ preset: 'zoo', adamEpsilon: 1e-8 }))).toBe(1e-8);
  });
});

describe('zoo presets are the zoo; our retunes have their own name', () => {
  it("A2C MountainCar-v0: `zoo` is rl-zoo's a2c.yml (entCoef 0), `tuned` our entCoef 0.02", () => {
    expect(new A2C({ env: 'MountainCar-v0', preset: 'zoo' }).config).toMatchObject({
      normalize: true,
      numEnvs: 16,
      entCoef: 0,
    });
    expect(new A2C({ env: 'MountainCar-v0', preset: 'tuned' }).config.entCoef).toBe(0.02);
  });
});
