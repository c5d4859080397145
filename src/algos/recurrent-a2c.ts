/**
 * RecurrentA2C: A2C (a2c.ts) with a recurrent policy (policies/recurrent-actor-critic.ts), as RecurrentPPO
 * (recurrent-ppo.ts) is PPO with one. The loss, the optimizer (RMSprop or Adam), the schedules and the defaults
 * are A2C's: nSteps from each env, GAE(λ = 1), one gradient step on
 *
 *   L(θ) = −(1/n) Σ_t Â_t log π_θ(a_t|o_≤t) − c_H·(1/n) Σ_t H(π_θ(·|o_≤t)) + c_V·(1/n) Σ_t (V_θ(o_≤t) − R_t)²
 *
 * over the whole rollout. What changes is how the loss reads the rollout: as one sequence per env, in time order,
 * replayed from the state that env entered the rollout with (stored at collection) and reset at its episode
 * starts (`wholeSequences`). Backpropagation runs through each env's nSteps: truncated BPTT over the rollout,
 * while the state itself is carried from rollout to rollout. A2C takes its step with the parameters that collected
 * the rollout, so the replay reproduces the collection's outputs exactly; no state is stale, unlike PPO's later
 * epochs.
 *
 * sb3-contrib has RecurrentPPO only; RLlib's A2C (and every algorithm of its old API) took a recurrent model as a
 * model option (`use_lstm`). Here it is its own algorithm id, `recurrent-a2c`, as `recurrent-ppo` is: the run's
 * parts (a recurrent policy, the actor that carries the envs' states, a buffer that stores them) are not A2C's,
 * and the name says in a config or a checkpoint which policy the run has.
 */
import type { z } from 'zod';
import { PolicygradError } from '../errors.js';
import {
  a2cConfigSchema,
  a2cOptimizer,
  type A2CUpdateMetrics,
  createA2CUpdate,
  type RolloutView,
} from './a2c.js';
import { checkNormalizable } from './hyperparameters.js';
import { LossScratch } from './loss/accumulate.js';
import { allocateMinibatch, gatherMinibatch } from './on-policy.js';
import { type LoadOptions, loadAlgorithm } from './persistence.js';
import type { Ports } from './ports.js';
import {
  buildRecurrent,
  notForRecurrentPolicies,
  recurrentActing,
  type RecurrentParts,
  recurrentPolicyFields,
  type RecurrentPredictOptions,
  SequenceSampler,
} from './recurrent-ppo.js';
import type { RecurrentState } from '../policies/recurrent-actor-critic.js';
import { type AlgorithmDefinition, Trainer } from './trainer.js';

export const recurrentA2cConfigSchema = a2cConfigSchema
  .omit(notForRecurrentPolicies)
  .extend(recurrentPolicyFields);
export type RecurrentA2CConfig = z.input<typeof recurrentA2cConfigSchema>;
export type RecurrentA2CResolvedConfig = z.output<typeof recurrentA2cConfigSchema>;

/**
 * The rollout as N sequences, env by env in time order, each from its env's stored first state: RecurrentPPO's
 * `SequenceSampler` with one window of the whole rollout and no rotation. The rows are gathered in that order
 * (advantages and returns with them) and the loss sees the policy replaying the sequences, in one chunk.
 */
export function wholeSequences({ policy, buffer }: RecurrentParts): RolloutView {
  const n = buffer.size;
  const sampler = new SequenceSampler(buffer, n);
  sampler.rotate(0); // env-major order: env 0's steps 0…T−1, then env 1's…
  const rows = allocateMinibatch(n, policy.obsDim, policy.dist.actionSize, 0);
  return {
    scratch: new LossScratch({ chunk: n }),
    rows(rollout, advantages, returns) {
      if (rollout !== buffer) {
        throw new PolicygradError(
          "RecurrentA2C: the update replays the run's own rollout buffer (its stored hidden states)",
        );
      }
      return gatherMinibatch(buffer, advantages, returns, null, sampler.order, 0, n, rows);
    },
    lossPolicy: () => policy.sequenceView(sampler.fillLayout(0, n)),
  };
}

export const recurrentA2cDefinition: AlgorithmDefinition<
  RecurrentA2CResolvedConfig,
  A2CUpdateMetrics,
  RecurrentParts,
  RecurrentPredictOptions
> = {
  name: 'recurrent-a2c',
  schema: recurrentA2cConfigSchema,
  resolve(c) {
    checkNormalizable('RecurrentA2C config', c.normalizeAdvantage, 'nSteps', c.nSteps, c.nSteps * c.numEnvs);
    return c;
  },
  build: buildRecurrent,
  createUpdate: (parts, c) =>
    createA2CUpdate(
      parts,
      c,
      a2cOptimizer(parts.policy.numParams, c),
      parts.policy.params,
      wholeSequences(parts),
    ),
  acting: recurrentActing,
};

/** RecurrentA2C: `recurrentA2cDefinition` on the Trainer; `predict` and checkpoints as RecurrentPPO's. */
export class RecurrentA2C extends Trainer<
  RecurrentA2CResolvedConfig,
  A2CUpdateMetrics,
  RecurrentParts,
  RecurrentPredictOptions
> {
  constructor(config: RecurrentA2CConfig = {}, ports: Ports = {}) {
    super(recurrentA2cDefinition, config, ports);
  }

  /** A saved model: the same run (continue with `learn({ resetProgress: false })`), or its networks on another env. */
  static load(dir: string, options: LoadOptions = {}): RecurrentA2C {
    return loadAlgorithm(dir, 'recurrent-a2c', options, (config) => new RecurrentA2C(config, options.ports));
  }

  /** A zero state for `count` agents, for `predict(observation, { state })`. */
  initialState(count = 1): RecurrentState {
    return this.policy.initialState(count);
  }
}
