/** Loading, before `make`, the engine an environment id needs (the CLI and worker threads do this for the user). */
import { loadPlanck } from './box2d/engine.js';
import { loadMujoco } from './mujoco/engine.js';
import { getRegistration } from './registry.js';

/**
 * Loads the engine `id` is registered with (`engine: 'mujoco'` for the MuJoCo envs, `'box2d'` for LunarLander and
 * BipedalWalker, whose planck package is an optional peer dependency); nothing for the others. Afterwards
 * `make(id)` works synchronously.
 */
export async function loadEnvEngine(id: string): Promise<void> {
  const engine = getRegistration(id)?.engine;
  if (engine === 'mujoco') await loadMujoco();
  else if (engine === 'box2d') await loadPlanck();
}
