/**
 * The algorithms as a Node user meets them (`import { PPO } from 'policygrad'`): the core's classes with
 * `nodePorts` as the default ports, so that SB3's `new PPO({...}).save(dir)` and `PPO.load(dir)` work without
 * naming a port, and `vectorEnv: 'async'` starts worker threads.
 *
 * Why subclasses and not a default inside the core: the core may not import Node (ARCHITECTURE.md § "The platform
 * line"), and a default the Node entry installs into the core on import is the module-level singleton this design
 * removed (one storage shared by every model in the process, `save` working or not depending on which entry some
 * module imported first). A subclass binds the default where the Node entry is imported, visibly, per class: each
 * one adds only a constructor default and a `load` that reads with `nodePorts` unless `options.ports` says
 * otherwise. Passing other ports (`new PPO(config, myPorts)`) still works; `policygrad/core`'s classes have no
 * ports by default, and their `save`/`load` say in one line where the file system comes from.
 */
import { A2C as CoreA2C, type A2CConfig } from '../algos/a2c.js';
import { type LoadOptions, loadAlgorithm } from '../algos/persistence.js';
import type { Ports } from '../algos/ports.js';
import { PPO as CorePPO, type PPOConfig } from '../algos/ppo.js';
import { RecurrentPPO as CoreRecurrentPPO, type RecurrentPPOConfig } from '../algos/recurrent-ppo.js';
import { Reinforce as CoreReinforce, type ReinforceConfig } from '../algos/reinforce.js';
import {
  type Algorithm,
  createAlgorithm as createCoreAlgorithm,
  type SynchronousAlgorithmName,
  type ThreadedAlgorithm,
} from '../algos/registry.js';
import { type NPGConfig, NPG as CoreNPG, TRPO as CoreTRPO, type TRPOConfig } from '../algos/trpo.js';
import type { RunOptions } from '../algos/trainer.js';
import { learnSeeds as learnCoreSeeds, type LearnSeedsOptions, type SeedRun } from '../algos/seeds.js';
import { nodePorts } from './ports.js';

/** `load` with Node's ports unless the options name others: `create` builds the model with the same ports. */
function loadOnNode<T extends { restoreCheckpoint(cp: unknown, o?: { weightsOnly?: boolean }): void }>(
  dir: string,
  algo: string,
  options: LoadOptions,
  create: (config: Record<string, unknown>, ports: Ports) => T,
): T {
  const ports = options.ports ?? nodePorts;
  return loadAlgorithm(dir, algo, { ...options, ports }, (config) => create(config, ports));
}

/** PPO with `nodePorts` by default (see the module comment). */
export class PPO extends CorePPO {
  constructor(config: PPOConfig & RunOptions = {}, ports: Ports = nodePorts) {
    super(config, ports);
  }
  static override load(dir: string, options: LoadOptions = {}): PPO {
    return loadOnNode(dir, 'ppo', options, (config, ports) => new PPO(config, ports));
  }
}

/** A2C with `nodePorts` by default (see the module comment). */
export class A2C extends CoreA2C {
  constructor(config: A2CConfig & RunOptions = {}, ports: Ports = nodePorts) {
    super(config, ports);
  }
  static override load(dir: string, options: LoadOptions = {}): A2C {
    return loadOnNode(dir, 'a2c', options, (config, ports) => new A2C(config, ports));
  }
}

/** TRPO with `nodePorts` by default (see the module comment). */
export class TRPO extends CoreTRPO {
  constructor(config: TRPOConfig & RunOptions = {}, ports: Ports = nodePorts) {
    super(config, ports);
  }
  static override load(dir: string, options: LoadOptions = {}): TRPO {
    return loadOnNode(dir, 'trpo', options, (config, ports) => new TRPO(config, ports));
  }
}

/** NPG with `nodePorts` by default (see the module comment). */
export class NPG extends CoreNPG {
  constructor(config: NPGConfig & RunOptions = {}, ports: Ports = nodePorts) {
    super(config, ports);
  }
  static override load(dir: string, options: LoadOptions = {}): NPG {
    return loadOnNode(dir, 'npg', options, (config, ports) => new NPG(config, ports));
  }
}

/** REINFORCE with `nodePorts` by default (see the module comment). */
export class Reinforce extends CoreReinforce {
  constructor(config: ReinforceConfig & RunOptions = {}, ports: Ports = nodePorts) {
    super(config, ports);
  }
  static override load(dir: string, options: LoadOptions = {}): Reinforce {
    return loadOnNode(dir, 'reinforce', options, (config, ports) => new Reinforce(config, ports));
  }
}

/** RecurrentPPO with `nodePorts` by default (see the module comment). */
export class RecurrentPPO extends CoreRecurrentPPO {
  constructor(config: RecurrentPPOConfig & RunOptions = {}, ports: Ports = nodePorts) {
    super(config, ports);
  }
  static override load(dir: string, options: LoadOptions = {}): RecurrentPPO {
    return loadOnNode(dir, 'recurrent-ppo', options, (config, ports) => new RecurrentPPO(config, ports));
  }
}

/**
 * `createAlgorithm` with `nodePorts` by default: a name known only at run time may then be A3C's coordinator
 * (its `iterate()` and `learn()` return Promises); a synchronous algorithm's name gives an `Algorithm`.
 */
export function createAlgorithm(
  name: SynchronousAlgorithmName,
  config: Record<string, unknown>,
  ports?: Ports,
): Algorithm;
export function createAlgorithm(
  name: string,
  config: Record<string, unknown>,
  ports?: Ports,
): Algorithm | ThreadedAlgorithm;
export function createAlgorithm(
  name: string,
  config: Record<string, unknown>,
  ports: Ports = nodePorts,
): Algorithm | ThreadedAlgorithm {
  return createCoreAlgorithm(name, config, ports);
}

/**
 * `learnSeeds` with `nodePorts` by default: the seeds train on worker threads, min(seeds, cores) at a time, and
 * the models come back with Node's ports (`save` works).
 */
export function learnSeeds(
  algo: string,
  config: Record<string, unknown>,
  seeds: readonly number[],
  options: LearnSeedsOptions,
): Promise<SeedRun[]> {
  return learnCoreSeeds(algo, config, seeds, { ...options, ports: options.ports ?? nodePorts });
}
