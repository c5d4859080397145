/**
 * The algorithms by name, for the CLI and for code that chooses one at run time: each has a validated config
 * (with presets), `learn`, `predict`, `evaluate`, and exposes its policy and vector env.
 */
import type { VectorEnv } from '../envs/vector.js';
import { levenshtein } from '../text.js';
import { describeValue, PolicygradError } from '../errors.js';
import type { PredictOptions } from '../policies/actor-critic.js';
import type { IterationStats } from '../rollouts/iteration.js';
import type { Floats } from '../nn/kernels.js';
import type { Checkpoint } from './checkpoint.js';
import type { Ports } from './ports.js';
import type { BeginOptions, LearnOptions, TrainablePolicy } from './trainer.js';
import { A2C } from './a2c.js';
import { PPO } from './ppo.js';
import { RecurrentA2C } from './recurrent-a2c.js';
import { RecurrentPPO } from './recurrent-ppo.js';
import { Reinforce } from './reinforce.js';
import { NPG, TRPO } from './trpo.js';

/** A metrics row: the iteration's counters and the algorithm's own columns. */
export type MetricsRow = IterationStats & Record<string, unknown>;

/** The common face of every algorithm (`Trainer` implements it). */
export interface Algorithm {
  readonly config: { env: string; envOptions: Record<string, unknown>; seed: number };
  /** A feed-forward `ActorCriticPolicy`, or RecurrentPPO's `RecurrentActorCriticPolicy` (its `predict` takes a state). */
  readonly policy: TrainablePolicy;
  readonly env: VectorEnv;
  /** Environment steps taken so far (SB3's `num_timesteps`). */
  readonly numTimesteps: number;
  /** True once the schedule set by `begin` (or `learn`) is used. */
  readonly done: boolean;
  begin(options: BeginOptions): void;
  /** One collection, one update; the iteration's metrics row. */
  iterate(): MetricsRow;
  learn(options: LearnOptions<MetricsRow>): MetricsRow[];
  checkpoint(): Checkpoint;
  restoreCheckpoint(checkpoint: unknown, options?: { weightsOnly?: boolean }): void;
  save(dir: string): void;
  predict(observation: Floats, options?: PredictOptions): number | Float32Array;
  evaluate(episodes: number, options?: { deterministic?: boolean; seed?: number }): number[];
  /** Threads of each update and why ('2 (actor | critic)', '1 (shared trunk)' …), where the model chooses. */
  readonly updateThreads?: string;
  /** Stops threads the model started for its updates (it keeps working on one). */
  close?(): void;
}

/**
 * An algorithm whose workers run on their own threads between `begin` and the end of the schedule (A3C's
 * coordinator, from the `threads` port): `iterate()` resolves with their next aggregated report.
 */
export interface ThreadedAlgorithm extends Omit<Algorithm, 'iterate' | 'learn'> {
  iterate(): Promise<MetricsRow>;
  learn(options: LearnOptions<MetricsRow>): Promise<MetricsRow[]>;
  /** Asks the workers to stop after their current update; resolves once they have. */
  stop(): Promise<void>;
}

export const ALGORITHMS = {
  ppo: {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new PPO(config, ports),
    description: 'Proximal Policy Optimization (clip / KL penalty)',
  },
  a2c: {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new A2C(config, ports),
    description: 'synchronous Advantage Actor-Critic',
  },
  trpo: {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new TRPO(config, ports),
    description: 'Trust Region Policy Optimization',
  },
  npg: {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new NPG(config, ports),
    description: 'natural policy gradient',
  },
  reinforce: {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new Reinforce(config, ports),
    description: 'REINFORCE / vanilla policy gradient (configurable Ψ_t)',
  },
  a3c: {
    create: (config: Record<string, unknown>, ports: Ports = {}): ThreadedAlgorithm => {
      if (ports.threads === undefined) {
        throw new PolicygradError(
          "A3C needs worker threads: pass nodePorts from policygrad's Node entry (createAlgorithm('a3c', config, nodePorts))",
        );
      }
      return ports.threads(config);
    },
    description: 'Asynchronous Advantage Actor-Critic on worker threads (Node)',
  },
  'recurrent-ppo': {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new RecurrentPPO(config, ports),
    description: 'PPO with an LSTM/GRU policy (memory, for partially observed tasks)',
  },
  'recurrent-a2c': {
    create: (config: Record<string, unknown>, ports?: Ports): Algorithm => new RecurrentA2C(config, ports),
    description: 'A2C with an LSTM/GRU policy (memory, for partially observed tasks)',
  },
} as const;
export type AlgorithmName = keyof typeof ALGORITHMS;
/** The algorithms that run in this thread (all but A3C). */
export type SynchronousAlgorithmName = Exclude<AlgorithmName, 'a3c'>;

export function isAlgorithmName(name: string): name is AlgorithmName {
  return Object.hasOwn(ALGORITHMS, name);
}

/**
 * The algorithm `name` built from `config`, with the platform's `ports` (Node: `nodePorts`) for files and
 * threads. Without the `threads` port every algorithm is synchronous (A3C, which needs it, throws); with it, a
 * name known only at run time may be A3C's coordinator, whose `iterate()` and `learn()` return Promises.
 */
export function createAlgorithm(
  name: SynchronousAlgorithmName,
  config: Record<string, unknown>,
  ports?: Ports,
): Algorithm;
export function createAlgorithm(
  name: string,
  config: Record<string, unknown>,
  ports?: Ports & { threads?: undefined },
): Algorithm;
export function createAlgorithm(
  name: string,
  config: Record<string, unknown>,
  ports: Ports,
): Algorithm | ThreadedAlgorithm;
export function createAlgorithm(
  name: string,
  config: Record<string, unknown>,
  ports: Ports = {},
): Algorithm | ThreadedAlgorithm {
  if (!isAlgorithmName(name)) {
    const known = Object.keys(ALGORITHMS);
    const close = known.filter((k) => levenshtein(String(name), k) <= 2);
    throw new PolicygradError(
      `unknown algorithm ${describeValue(name)}${close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : ''}: expected one of ${known.join(', ')}`,
    );
  }
  return ALGORITHMS[name].create(config, ports);
}
