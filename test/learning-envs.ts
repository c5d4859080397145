/**
 * Small environments for learning tests, registered under Test* ids: SB3-style identity envs and an
 * infinite-horizon env for the truncation test.
 */
import { BaseEnv, Box, Discrete, type ResetOptions, register } from '../src/index.js';

/** SB3's IdentityEnv: observe a one-hot target among 4, reward 1 for choosing it; 100 steps per episode. */
export class IdentityEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [4] });
  readonly actionSpace = new Discrete(4);
  private target = 0;
  private t = 0;
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    this.t = 0;
    return { observation: this.next(), info: {} };
  }
  step(action: number) {
    const reward = action === this.target ? 1 : 0;
    this.t++;
    return { observation: this.next(), reward, terminated: false, truncated: this.t >= 100, info: {} };
  }
  private next() {
    this.target = this.rng.integer(0, 4);
    const o = new Float32Array(4);
    o[this.target] = 1;
    return o;
  }
}

/** SB3's IdentityEnvBox: observe x ∈ [−1, 1], reward 1 for an action within 0.5 of it; 100 steps per episode. */
export class IdentityBoxEnv extends BaseEnv<Float32Array, Float32Array> {
  readonly observationSpace = new Box<Float32Array>({ low: -1, high: 1, shape: [1] });
  readonly actionSpace = new Box<Float32Array>({ low: -1, high: 1, shape: [1] });
  private x = 0;
  private t = 0;
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    this.t = 0;
    return { observation: this.next(), info: {} };
  }
  step(action: Float32Array) {
    const reward = Math.abs(action[0] - this.x) < 0.5 ? 1 : 0;
    this.t++;
    return { observation: this.next(), reward, terminated: false, truncated: this.t >= 100, info: {} };
  }
  private next() {
    this.x = this.rng.uniform(-1, 1);
    return Float32Array.of(this.x);
  }
}

/** Reward 1 forever; the time limit truncates. With the right handling V(s) → 1/(1 − γ). */
export class ForeverEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>({ low: 0, high: 1, shape: [1] });
  readonly actionSpace = new Discrete(2);
  t = 0;
  constructor(private readonly reportTermination: boolean) {
    super();
  }
  reset(options: ResetOptions = {}) {
    this.reseed(options.seed);
    this.t = 0;
    return { observation: Float32Array.of(1), info: {} };
  }
  step() {
    this.t++;
    // The wrong handling: calling the time limit a termination, so nothing is bootstrapped.
    const end = this.reportTermination && this.t >= 20;
    return { observation: Float32Array.of(1), reward: 1, terminated: end, truncated: false, info: {} };
  }
}

register({ id: 'TestIdentity-v0', entryPoint: () => new IdentityEnv() });
register({ id: 'TestIdentityBox-v0', entryPoint: () => new IdentityBoxEnv() });
register({ id: 'TestForever-v0', entryPoint: () => new ForeverEnv(false), maxEpisodeSteps: 20 });
register({ id: 'TestForeverTerminated-v0', entryPoint: () => new ForeverEnv(true) });
