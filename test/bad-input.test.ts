/** Every user mistake gets a clear error, never silent corruption. */
import { describe, expect, it } from 'vitest';
import {
  type ClassicControlEnv,
  EnvConfigError,
  InvalidActionError,
  listEnvs,
  make,
  PendulumEnv,
  PolicygradError,
  ResetNeededError,
  register,
} from '../src/internal.js';
import { CounterEnv } from './helpers.js';

describe('bad input', () => {
  it('step before reset', () => {
    expect(() => make('CartPole-v1').step(0)).toThrow(ResetNeededError);
    expect(() => make('CartPole-v1').step(0)).toThrow(
      'CartPole-v1: step() called before reset(); call env.reset() first',
    );
    // Also on the base env, without the OrderEnforcing wrapper.
    expect(() => new PendulumEnv().step([0])).toThrow(/step\(\) called before reset\(\)/);
  });

  it.each([
    [2, /invalid action 2: expected an integer in \[0, 1\] for Discrete\(2\)/],
    [-1, /invalid action -1/],
    [0.5, /invalid action 0.5/],
    [Number.NaN, /invalid action NaN/],
    ['1', /invalid action "1"/],
    [[1], /invalid action \[1\]/],
  ])('CartPole refuses the Discrete action %s', (action, message) => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(action)).toThrow(InvalidActionError);
    expect(() => env.step(action)).toThrow(message);
  });

  it.each([
    [[], /expected an array of 1 number\(s\) for Box\(-2, 2, \(1,\), float32\)/],
    [[1, 2], /invalid action \[1, 2\]/],
    [Float32Array.of(Number.NaN), /element 0 is NaN; expected a number \(not NaN\)/],
    [1.5, /invalid action 1.5: expected an array of 1/],
    [['1'], /element 0 is "1"/],
  ])('Pendulum refuses the Box action %s', (action, message) => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(action)).toThrow(message);
  });

  it('a refused action leaves the state untouched', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    const base = env.unwrapped as ClassicControlEnv<unknown>;
    const before = base.state;
    expect(() => env.step(7)).toThrow();
    expect(base.state).toEqual(before);
  });

  it('out-of-range continuous actions are clipped as Gymnasium does (not refused)', () => {
    const run = (action: number) => {
      const env = make<Float32Array, number[]>('Pendulum-v1');
      env.reset({ seed: 3 });
      return env.step([action]).observation;
    };
    expect(run(5)).toEqual(run(2));
    expect(run(-100)).toEqual(run(-2));
    const car = (action: number) => {
      const env = make<Float32Array, number[]>('MountainCarContinuous-v0');
      env.reset({ seed: 3 });
      return env.step([action]);
    };
    expect(car(1.5).observation).toEqual(car(1).observation);
    expect(car(1.5).reward).toBeCloseTo(-0.1 * 1.5 ** 2, 12); // the cost uses the unclipped action
  });

  it('make with an unknown id lists close matches', () => {
    expect(() => make('CartPol-v1')).toThrow(EnvConfigError);
    expect(() => make('CartPol-v1')).toThrow(
      /unknown environment id 'CartPol-v1'\. Did you mean: CartPole-v1\?/,
    );
    expect(() => make('cartpole-v1')).toThrow(/Did you mean: CartPole-v1, CartPoleNoVel-v1\?/);
    expect(() => make('CartPole-v0')).toThrow(
      /'CartPole-v0' is not registered; registered versions of CartPole: CartPole-v1/,
    );
    expect(() => make('Zzzzzz-v3')).toThrow(
      /Registered ids: Acrobot-v1, Ant-v5, BipedalWalker-v3, BipedalWalkerHardcore-v3, CartPole-v1/,
    );
  });

  it('make with unknown or invalid options says which and what is accepted', () => {
    expect(() => make('CartPole-v1', { gravity: 3 })).toThrow(EnvConfigError);
    expect(() => make('CartPole-v1', { gravity: 3 })).toThrow(
      /CartPole: unknown option 'gravity'; accepted options: suttonBartoReward/,
    );
    expect(() => make('Acrobot-v1', { foo: 1, bar: 2 })).toThrow(
      /unknown options 'foo', 'bar'; accepted options: \(none\)/,
    );
    expect(() => make('Pendulum-v1', { g: 'strong' })).toThrow(
      /option 'g' = "strong" is invalid: .*expected number/,
    );
    expect(() => make('Pendulum-v1', { maxEpisodeSteps: -5 })).toThrow(
      /invalid maxEpisodeSteps -5: expected a positive integer/,
    );
  });

  it('setting a state of the wrong length is refused', () => {
    const env = make('CartPole-v1');
    expect(() => {
      (env.unwrapped as ClassicControlEnv<unknown>).state = [1, 2];
    }).toThrow(/invalid state \[1, 2\]: expected 4 numbers \[x, x_dot, theta, theta_dot\]/);
  });

  it('invalid seeds are refused', () => {
    expect(() => make('CartPole-v1').reset({ seed: -3 })).toThrow(/invalid seed -3/);
    expect(() => make('CartPole-v1').reset({ seed: 0.5 })).toThrow(/invalid seed 0.5/);
  });

  it('register validates specs and refuses duplicates', () => {
    expect(() => register({ id: 'CartPole-v1', entryPoint: () => new CounterEnv() })).toThrow(
      /already registered/,
    );
    expect(() => register({ id: 'bad id!', entryPoint: () => new CounterEnv() })).toThrow(
      /invalid id "bad id!"/,
    );
    register({ id: 'TestCounter-v0', entryPoint: () => new CounterEnv(4), maxEpisodeSteps: 2 });
    expect(listEnvs()).toContain('TestCounter-v0');
    const env = make<Float32Array, number>('TestCounter-v0');
    env.reset();
    env.step(0);
    expect(env.step(0).truncated).toBe(true);
    expect(env.spec).toMatchObject({ id: 'TestCounter-v0', maxEpisodeSteps: 2 });
  });

  it('all these errors are PolicygradErrors (the CLI prints their message without a stack)', () => {
    for (const fn of [
      () => make('Nope-v0'),
      () => make('CartPole-v1').step(0),
      () => make('CartPole-v1', { x: 1 }),
    ]) {
      expect(fn).toThrow(PolicygradError);
    }
  });
});
