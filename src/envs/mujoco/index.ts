export { compileModel, contactMarginRule, doubleGeomMargins, geomMargins, loadMujoco } from './engine.js';
export * from './locomotion.js';
export { controlCost, MujocoEnv } from './mujoco-env.js';
