/**
 * The critic's half of a minibatch on a second thread. With separate actor and critic networks the actor's
 * gradient depends only on the actor's forward pass and the actor-side loss terms, the critic's only on V(s) and
 * the value terms: they write disjoint slices of `policy.grads`. So the loss loop (src/algos/loss/accumulate.ts)
 * starts V(s) of a chunk here, forwards the actor meanwhile, evaluates every term in order on one thread as
 * before, then starts the critic's backward pass here while it runs the actor's. The other thread runs the same
 * kernels on the same parameters and rows, so the result is bit for bit the one-thread result.
 *
 * The implementation is a platform adapter (Node: worker_threads, src/node/critic-thread.ts), given to a model
 * through its `Ports`.
 */
import type { Floats } from '../nn/kernels.js';

export interface CriticThread {
  /** The most rows one call may carry. */
  readonly maxRows: number;
  /** Starts V(s) of `batch` observations [batch × obsDim] with the current parameters. */
  beginValues(observations: Floats, batch: number): void;
  /** Waits for `beginValues`: V [batch], a view valid until the next call. */
  values(): Float32Array;
  /** Starts the critic's backward pass of that batch: adds ∂L/∂θ_critic into the policy's grads, given ∂L/∂V. */
  beginBackward(gradValues: Float32Array, batch: number): void;
  /** Waits for `beginBackward`. */
  endBackward(): void;
}
