/** Loading, before `make`, the engine an environment id needs (the CLI and worker threads do this for the user). */
import { getRegistration } from '../registry.js';
import { loadMujoco } from './engine.js';

/**
 * Loads the engine `id` is registered with (`engine: 'mujoco'` for the MuJoCo envs); nothing for the others.
 * Afterwards `make(id)` works synchronously.
 */
export async function loadEnvEngine(id: string): Promise<void> {
  if (getRegistration(id)?.engine === 'mujoco') await loadMujoco();
}
