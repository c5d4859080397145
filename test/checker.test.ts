import { describe, expect, it } from 'vitest';
import { BaseEnv, Box, checkEnv, Discrete, make, type ResetOptions } from '../src/index.js';
import { CounterEnv } from './helpers.js';

/** A correct env that we break one way at a time. */
class Configurable extends BaseEnv<unknown, number> {
  readonly observationSpace = new Box<Float32Array>({ low: -1, high: 1, shape: [2] });
  readonly actionSpace = new Discrete(2);
  constructor(private readonly fault: string = 'none') {
    super();
  }
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    const x = this.fault === 'unseeded-reset' ? Math.sin(performance.now()) : this.rng.uniform(-0.5, 0.5);
    return {
      observation: this.fault === 'wrong-dtype' ? Float64Array.of(x, 0) : Float32Array.of(x, 0),
      info: {},
    };
  }
  step(action: number) {
    const observation =
      {
        none: Float32Array.of(0, action),
        'wrong-shape': Float32Array.of(0, action, 0),
        'out-of-space': Float32Array.of(5, action),
      }[this.fault] ?? Float32Array.of(0, action);
    const base = {
      observation,
      reward: this.fault === 'nan-reward' ? Number.NaN : 1,
      terminated: false,
      truncated: false,
      info: {},
    };
    if (this.fault === 'no-terminated') return { ...base, terminated: undefined } as never;
    if (this.fault === 'old-api') return [observation, 1, false, {}] as never;
    return base;
  }
}

describe('checkEnv', () => {
  it('passes every built-in environment', () => {
    for (const id of [
      'CartPole-v1',
      'Acrobot-v1',
      'MountainCar-v0',
      'MountainCarContinuous-v0',
      'Pendulum-v1',
      'CartPoleNoVel-v1',
      'MountainCarNoVel-v0',
      'MountainCarContinuousNoVel-v0',
      'PendulumNoVel-v1',
      'RepeatFirst-v0',
    ]) {
      const report = checkEnv(make(id));
      expect(report.errors, id).toEqual([]);
      expect(report.ok).toBe(true);
    }
    expect(checkEnv(new CounterEnv()).ok).toBe(true);
  });

  it.each([
    ['wrong-shape', /observation: wrong shape: expected 2 elements \(shape \[2\]\), got 3/],
    [
      'wrong-dtype',
      /reset\(\) observation: wrong dtype: expected Float32Array \(float32\), got Float64Array/,
    ],
    ['out-of-space', /outside the observation space at index 0: 5 is not in \[-1, 1\]/],
    ['nan-reward', /returned reward NaN: expected a finite number/],
    ['no-terminated', /returned terminated = undefined: expected a boolean/],
    ['old-api', /returned reward undefined|returned terminated = undefined/],
    [
      'unseeded-reset',
      /reset\(\{ seed: 123 \}\) is not deterministic: .*; start reset\(\) with this\.reseed\(options\.seed\) and draw all randomness from this\.rng/,
    ],
  ])('reports %s', (fault, message) => {
    const report = checkEnv(new Configurable(fault));
    expect(report.ok).toBe(false);
    expect(report.errors.join('\n')).toMatch(message);
  });

  it('reports a step that throws, and spaces that are not spaces', () => {
    class Throws extends Configurable {
      override step(): never {
        throw new Error('boom');
      }
    }
    expect(checkEnv(new Throws()).errors.join('\n')).toMatch(/threw: boom/);
    class NoSpaces extends Configurable {
      // @ts-expect-error -- deliberately not a space
      override readonly observationSpace = { shape: [2] };
    }
    expect(checkEnv(new NoSpaces() as never).errors.join('\n')).toMatch(/observationSpace is .* not a space/);
  });

  it('warns about unbounded observation spaces', () => {
    expect(checkEnv(make('CartPole-v1')).warnings.join('\n')).toMatch(/unbounded/);
  });
});
