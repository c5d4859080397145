/** Messages between the training page (main.ts) and its Web Worker (worker.ts). */

export const PAGE_ENVS = [
  'CartPole-v1',
  'Acrobot-v1',
  'Pendulum-v1',
  'MountainCarContinuous-v0',
  'MountainCar-v0',
  'LunarLander-v3',
  'LunarLanderContinuous-v3',
  'BipedalWalker-v3',
  // rl-zoo's partially observed variants (velocities multiplied by 0): a recurrent policy's tasks
  'CartPoleNoVel-v1',
  'PendulumNoVel-v1',
  'MountainCarNoVel-v0',
] as const;
export type PageEnv = (typeof PAGE_ENVS)[number];

export const PAGE_ALGOS = {
  reinforce: 'REINFORCE / vanilla policy gradient',
  a2c: 'A2C',
  'ppo-clip': 'PPO (clipped objective)',
  'ppo-kl': 'PPO (adaptive KL penalty)',
  trpo: 'TRPO',
  'recurrent-ppo': 'RecurrentPPO (LSTM policy)',
} as const;
export type PageAlgo = keyof typeof PAGE_ALGOS;

export interface TrainSettings {
  env: PageEnv;
  algo: PageAlgo;
  seed: number;
  /** Blank fields in the form keep the preset's (or the algorithm's default) value. */
  gamma: number | null;
  learningRate: number | null;
  /** PPO-clip: the clip range ε; PPO-KL: the KL target δ of the β rule; TRPO: the KL bound δ. */
  trustRegion: number | null;
  /** REINFORCE's estimator switches: Ψ_t = total return | reward-to-go, minus a baseline, or GAE(λ). */
  returns: 'total' | 'reward-to-go';
  baseline: 'none' | 'mean' | 'value';
  gaeLambda: number | null;
  /** Measure the chosen estimator's gradient variance every this many iterations (REINFORCE only; 0 = never). */
  varianceEvery: number;
  /** Environment steps to train for; null: the preset's budget (200,000 without one). */
  totalTimesteps: number | null;
}

export type ToWorker =
  | { type: 'start'; settings: TrainSettings }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'export' }
  | { type: 'watch'; policy: string }
  | { type: 'episode-request' };

export interface IterationReport {
  iteration: number;
  step: number;
  totalTimesteps: number;
  episodeReturnMean: number | null;
  sps: number;
}

export interface VarianceReport {
  step: number;
  estimator: string;
  /** tr Cov(ĝ) of the chosen estimator and of the total-return estimator, on the same batches. */
  variance: number;
  totalReturnVariance: number;
}

export type FromWorker =
  | { type: 'ready'; kernels: string }
  | { type: 'started'; config: Record<string, unknown>; totalTimesteps: number }
  | { type: 'iteration'; report: IterationReport }
  | { type: 'variance'; report: VarianceReport }
  /**
   * One episode of the current (or loaded) policy, observations flattened: frames × obsDim; for the Box2D envs,
   * whose observation does not place the picture (terrain, scroll), also each frame's `env.picture()`.
   */
  | {
      type: 'episode';
      env: string;
      obsDim: number;
      frames: Float32Array;
      pictures: unknown[] | null;
      episodeReturn: number;
      source: 'training' | 'loaded';
    }
  | { type: 'policy'; json: string; fileName: string }
  | { type: 'finished'; step: number }
  | { type: 'error'; message: string };
