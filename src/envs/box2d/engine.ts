/**
 * The Box2D engine: the `planck` package (a TypeScript port of Box2D), an optional peer dependency loaded only when
 * a Box2D env is wanted, so that a library user who never makes one does not install its 8.8 MB
 * (ARCHITECTURE.md, "Install size").
 *
 * `await loadEnvEngine('LunarLander-v3')` (or `loadPlanck()`) once; then `make` builds the Box2D envs synchronously.
 * Nothing in `src/` imports planck statically: the envs take its classes from `planckEngine(id)` when they are
 * constructed, and only name its types.
 */
import type * as Planck from 'planck';
import { PolicygradError } from '../../errors.js';

export type PlanckModule = typeof Planck;

let engine: PlanckModule | null = null;
let loading: Promise<PlanckModule> | null = null;

/** Loads planck (once; later calls return the same promise). Afterwards the Box2D envs can be made. */
export function loadPlanck(): Promise<PlanckModule> {
  loading ??= import('planck').then(
    (module) => {
      engine = module;
      return module;
    },
    (error: unknown) => {
      loading = null;
      throw new PolicygradError(
        `the Box2D envs (LunarLander, BipedalWalker) need the physics engine 'planck', an optional peer dependency ` +
          `of policygrad that is not installed: run npm install planck (${firstLine(error)})`,
      );
    },
  );
  return loading;
}

/** planck's classes, for the env `id` being constructed; throws one line when the engine was not loaded yet. */
export function planckEngine(id: string): PlanckModule {
  if (engine === null) {
    throw new PolicygradError(
      `${id} runs on the Box2D engine, which loads asynchronously: await loadEnvEngine('${id}') once before make('${id}')`,
    );
  }
  return engine;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}
