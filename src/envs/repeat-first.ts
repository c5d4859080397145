/**
 * RepeatFirst-v0: a pure memory task for recurrent policies. At reset a cue c is drawn uniformly from
 * {0, …, n−1} and shown once, one-hot, in the first observation; the next `delay` − 1 observations are blank;
 * the observation after them raises a query flag, and the action taken then is the answer: reward 1 if it equals
 * c, 0 otherwise (no other action is scored). The episode terminates after the answer: `delay` + 1 steps.
 *
 * Observation Box(n + 1): [one-hot cue (first step only) | query flag]. Action Discrete(n).
 *
 * Why a feed-forward policy cannot solve it: the query observation [0, …, 0, 1] is the same whatever the cue,
 * so any policy π(a | o_t) answers c with probability π(c | o_query), and its expected return is
 * Σ_c P(c)·π(c | o_query) = 1/n whatever π is. A policy that remembers o_0 earns 1 on every episode.
 */
import { z } from 'zod';
import { EnvConfigError, ResetNeededError } from '../errors.js';
import { parseOptions } from '../options.js';
import {
  assertDiscreteAction,
  BaseEnv,
  type ResetOptions,
  type ResetResult,
  type StepResult,
} from './env.js';
import { register } from './registry.js';
import { Box, Discrete } from './spaces.js';

export const repeatFirstOptionsSchema = z.strictObject({
  /** Number of possible cues (and actions), ≥ 2. */
  cues: z.number().int().min(2).max(64).default(2),
  /** Steps between the cue and the query, ≥ 1. */
  delay: z.number().int().min(1).max(10000).default(5),
});
export type RepeatFirstOptions = z.input<typeof repeatFirstOptionsSchema>;

export class RepeatFirstEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace: Box<Float32Array>;
  readonly actionSpace: Discrete;
  readonly cues: number;
  readonly delay: number;
  private cue = -1;
  private t = 0;

  constructor(options: RepeatFirstOptions = {}) {
    super();
    const parsed = parseOptions(repeatFirstOptionsSchema, options, 'RepeatFirst', EnvConfigError);
    this.cues = parsed.cues;
    this.delay = parsed.delay;
    this.observationSpace = new Box<Float32Array>({
      low: new Array<number>(this.cues + 1).fill(0),
      high: new Array<number>(this.cues + 1).fill(1),
    });
    this.actionSpace = new Discrete(this.cues);
  }

  /** The cue of the current episode (for tests and demos), −1 before the first reset. */
  get currentCue(): number {
    return this.cue;
  }

  protected override snapshotFields(): Record<string, unknown> {
    return { cue: this.cue, t: this.t };
  }

  protected override restoreFields(fields: Record<string, unknown>): void {
    this.cue = fields.cue as number;
    this.t = fields.t as number;
  }

  reset(options: ResetOptions = {}): ResetResult<Float32Array> {
    this.reseed(options.seed);
    this.cue = this.rng.integer(0, this.cues);
    this.t = 0;
    return { observation: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    assertDiscreteAction(this.name, this.actionSpace, action);
    if (this.cue < 0 || this.t > this.delay) {
      throw new ResetNeededError(
        `${this.name}: step() called before reset() or after the episode ended; call env.reset()`,
      );
    }
    const answered = this.t === this.delay;
    const reward = answered && action === this.cue ? 1 : 0;
    this.t++;
    return { observation: this.observe(), reward, terminated: answered, truncated: false, info: {} };
  }

  private observe(): Float32Array {
    const observation = new Float32Array(this.cues + 1);
    if (this.t === 0) observation[this.cue] = 1;
    if (this.t === this.delay) observation[this.cues] = 1;
    return observation;
  }
}

register({
  id: 'RepeatFirst-v0',
  entryPoint: (options) => new RepeatFirstEnv(options as RepeatFirstOptions),
  rewardThreshold: 1.0,
  description:
    'memory task: repeat the cue shown on the first step after `delay` blank steps (Discrete(cues))',
});
