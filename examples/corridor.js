// corridor.js: a custom environment. Import it before training (`--import ./corridor.js` on the command line).
import { BaseEnv, Box, Discrete, register } from 'policygrad';

/** Walk left or right along a corridor; reach the right end. The start cell is random. */
export class Corridor extends BaseEnv {
  observationSpace = new Box({ low: 0, high: 1, shape: [1] });
  actionSpace = new Discrete(2); // 0: left, 1: right

  constructor({ length = 8 } = {}) {
    super();
    this.length = length;
    this.position = 0;
  }

  reset(options = {}) {
    this.reseed(options.seed); // a seed makes this episode and the ones after it reproducible
    this.position = this.rng.integer(0, this.length - 1); // draw only from this.rng, never Math.random
    return { observation: this.observe(), info: {} };
  }

  step(action) {
    this.position = Math.max(0, this.position + (action === 1 ? 1 : -1));
    const terminated = this.position === this.length - 1;
    return {
      observation: this.observe(),
      reward: terminated ? 1 : -0.01,
      terminated,
      truncated: false,
      info: {},
    };
  }

  observe() {
    return Float32Array.of(this.position / (this.length - 1));
  }

  // The state a checkpoint saves (the generator is saved for you), so `--resume` continues exactly.
  snapshotFields() {
    return { position: this.position };
  }

  restoreFields(fields) {
    this.position = fields.position;
  }
}

register({ id: 'Corridor-v0', entryPoint: (options) => new Corridor(options), maxEpisodeSteps: 100 });
