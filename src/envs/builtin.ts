/**
 * Importing this module registers every built-in environment: classic control, the partially observed variants,
 * the memory task, MuJoCo and Box2D. `src/envs/index.ts` imports it for the package entries; a worker thread,
 * which starts with an empty registry, imports it directly.
 */
import './classic/index.js';
import './partially-observed.js';
import './repeat-first.js';
import './mujoco/index.js';
import './box2d/index.js';
