/**
 * How long a thread that waits for requests on a control word spins before it sleeps in `Atomics.wait`
 * (src/node/critic-worker.ts). Sleeping costs a futex wake on both sides (measured here: 14 µs in the caller's
 * `Atomics.notify`, and the sleeper's wake-up on top), so the spin should cover the usual gap between requests;
 * spinning through long gaps burns a core that a busy machine needs for the caller.
 *
 * The rule: a gap within the limit raises the spin to twice that gap, and short gaps never lower it (gaps alternate
 * between short and long within an update); a gap past the limit (the rollout between two updates, or a busy
 * machine) halves it. The rule before — double when a request came during the spin, halve when the spin ended in
 * sleep — could not leave a spin near zero once there: 96 % of the requests of a CleanRL PPO run found the critic
 * thread asleep.
 */
export class AdaptiveSpin {
  /** The current spin (µs). */
  micros: number;

  constructor(readonly limitMicros: number) {
    this.micros = limitMicros;
  }

  /** After a request that came `gapMicros` after the thread became idle (spinning, then perhaps asleep). */
  observe(gapMicros: number): void {
    this.micros =
      gapMicros <= this.limitMicros
        ? Math.min(this.limitMicros, Math.max(this.micros, 2 * gapMicros))
        : this.micros / 2;
  }
}
