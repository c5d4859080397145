/**
 * The critic's half of a minibatch on a second thread. With separate actor and critic networks the actor's
 * gradient depends only on the actor's forward pass and the actor-side loss terms, the critic's only on V(s) and
 * the value terms: they write disjoint slices of `policy.grads`. So the loss loop (src/algos/loss/accumulate.ts)
 * starts V(s) of a chunk here, forwards the actor meanwhile, evaluates every term in order on one thread as
 * before, then starts the critic's backward pass here while it runs the actor's. The other thread runs the same
 * kernels on the same parameters and rows, so the result is bit for bit the one-thread result; and work the other
 * thread has not started when it is needed is taken back and done here, with the same numbers again.
 *
 * The implementation is a platform adapter (Node: worker_threads, src/node/critic-thread.ts), given to a model
 * through its `Ports`.
 */
import type { Floats } from '../nn/kernels.js';

export interface CriticThread {
  /** The most rows one call may carry. */
  readonly maxRows: number;
  /** Offers V(s) of `batch` observations [batch × obsDim] with the current parameters to the other thread. */
  beginValues(observations: Floats, batch: number): void;
  /**
   * V [batch] (a view valid until the next call) once the other thread has computed it; or null when it had not
   * started yet: the offer is withdrawn and the caller runs both of the chunk's critic passes itself (a busy
   * machine then costs no waiting; the numbers are the same either way).
   */
  values(): Float32Array | null;
  /** Offers the critic's backward pass of that batch (after non-null `values`), given ∂L/∂V. */
  beginBackward(gradValues: Float32Array, batch: number): void;
  /**
   * Waits until the other thread has added ∂L/∂θ_critic into the policy's grads and returns true; or false when
   * it had not started: the caller then runs the critic's forward and backward passes of the chunk itself.
   */
  endBackward(): boolean;
  /**
   * Offers the critic's half of a fused PPO minibatch (`ppoCriticHalf` in assembly/kernels.ts on the context at
   * byte offset `context` of the policy's shared memory, src/algos/fused-ppo.ts). Optional: without it a two-thread
   * update takes the JavaScript path.
   */
  beginFusedCritic?(context: number): void;
  /**
   * Waits until the other thread has run it and returns true; or false when it had not started: the offer is
   * withdrawn and the caller runs it itself (the same numbers either way).
   */
  endFusedCritic?(): boolean;
  /**
   * Offers the critic's part of the fused step (`ppoStepRange` over the critic's parameters, after `ppoNorm` on
   * the same context): its gradient, Adam moments and parameters stay on the thread that computed the gradient.
   */
  beginFusedStep?(context: number): void;
  /** As `endFusedCritic`, for `beginFusedStep`: false when withdrawn (the caller runs it). */
  endFusedStep?(): boolean;
}
