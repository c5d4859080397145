/**
 * The MuJoCo engine: the official WebAssembly build (npm `mujoco-js`, MuJoCo 3.3.8), loaded only when asked for.
 *
 * Instantiating WebAssembly is asynchronous, so `await loadMujoco()` once; then `make('HalfCheetah-v5')` works
 * synchronously like every other env. One compiled model per model file, shared by every env instance; each env
 * owns its `MjData` and frees it in `close()`.
 *
 * Contact margins. MuJoCo 3.14 (what Gymnasium runs on today) gives a contact pair the margin m1 + m2; MuJoCo
 * 3.3.8 (this build) takes max(m1, m2). At load time a two-sphere probe tells which rule the engine uses; under
 * the max rule every geom margin of a model is doubled before it is compiled, which reproduces the sum rule
 * exactly because every geom in these models shares one margin (checked: a model with two different non-zero
 * geom margins is refused). Only Hopper (0.001) and Ant (0.01) have non-zero geom margins.
 *
 * Sharp edges of the build handled here: typed arrays into its memory go stale when the heap grows (the envs read
 * `data.qpos` & co. afresh at every use), and an invalid XML throws without a message (wrapped below).
 */
import { EnvConfigError, isNotInstalled, missingPackagesError, PolicygradError } from '../../errors.js';
import { MUJOCO_ASSETS } from './assets.js';

/** The part of mujoco-js's API the envs use (its own types are loose `any` arrays). */
export interface MjModelHandle {
  nq: number;
  nv: number;
  nu: number;
  nbody: number;
  opt: { timestep: number };
  delete(): void;
}

export interface MjDataHandle {
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly qacc_warmstart: Float64Array;
  readonly ctrl: Float64Array;
  readonly xpos: Float64Array;
  readonly site_xpos: Float64Array;
  readonly cfrc_ext: Float64Array;
  readonly qfrc_constraint: Float64Array;
  ncon: number;
  time: number;
  delete(): void;
}

export interface MujocoModule {
  MjModel: { loadFromXML(path: string): MjModelHandle };
  MjData: new (model: MjModelHandle) => MjDataHandle;
  mj_step(m: MjModelHandle, d: MjDataHandle): void;
  mj_forward(m: MjModelHandle, d: MjDataHandle): void;
  mj_resetData(m: MjModelHandle, d: MjDataHandle): void;
  mj_rnePostConstraint(m: MjModelHandle, d: MjDataHandle): void;
  mj_versionString(): string;
  FS: {
    mkdir(path: string): void;
    writeFile(path: string, data: string): void;
    unlink(path: string): void;
  };
}

let engine: MujocoModule | null = null;
let loading: Promise<MujocoModule> | null = null;
let marginRule: 'sum' | 'max' | null = null;
const models = new Map<string, MjModelHandle>();

/**
 * Loads the MuJoCo WebAssembly module (once; later calls return the same promise). Afterwards the MuJoCo envs can
 * be made synchronously. Returns the engine's version string. `mujoco-js` is an optional peer dependency: when it
 * is not installed the error says, in one line, to install it. (`importEngine` is for tests.)
 */
export async function loadMujoco(
  importEngine: () => Promise<unknown> = () => import('mujoco-js'),
): Promise<string> {
  loading ??= (async () => {
    let factory: () => Promise<unknown>;
    try {
      factory = ((await importEngine()) as { default: () => Promise<unknown> }).default;
    } catch (error) {
      loading = null;
      if (isNotInstalled(error)) {
        throw missingPackagesError('the MuJoCo envs (the MuJoCo WebAssembly engine)', ['mujoco-js']);
      }
      throw new PolicygradError(
        `loadMujoco: the 'mujoco-js' package could not be imported (${(error as Error).message})`,
      );
    }
    const module = (await factory()) as MujocoModule;
    module.FS.mkdir('/policygrad');
    engine = module;
    marginRule = probeMarginRule(module);
    return module;
  })();
  return (await loading).mj_versionString();
}

/** The loaded engine, or the error that says what to do. */
export function mujoco(envId = 'a MuJoCo env'): MujocoModule {
  if (engine === null) {
    throw new EnvConfigError(
      `${envId} needs the MuJoCo engine: call \`await loadEnvEngine('${envId}')\` once before make('${envId}') (it loads the WebAssembly build)`,
    );
  }
  return engine;
}

/** How the loaded engine combines two geoms' contact margins ('sum' as MuJoCo ≥ 3.14, 'max' as 3.3.8). */
export function contactMarginRule(): 'sum' | 'max' {
  mujoco();
  return marginRule as 'sum' | 'max';
}

function compile(module: MujocoModule, name: string, xml: string): MjModelHandle {
  const path = `/policygrad/${name}`;
  module.FS.writeFile(path, xml);
  try {
    const model = module.MjModel.loadFromXML(path);
    if (!model) throw new Error('no model');
    return model;
  } catch (error) {
    // The build throws a bare number or an empty error for invalid XML.
    const detail = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
    throw new PolicygradError(`MuJoCo could not compile the model ${name}${detail}`);
  } finally {
    module.FS.unlink(path);
  }
}

/**
 * Two spheres of radius 0.1 whose surfaces are 0.0035 apart, with margins 0.001 and 0.003: in contact under the
 * sum rule (0.004), not under the max rule (0.003).
 */
function probeMarginRule(module: MujocoModule): 'sum' | 'max' {
  const xml = `<mujoco><worldbody>
    <geom name="a" type="sphere" size="0.1" pos="0 0 0" margin="0.001"/>
    <body pos="0 0 0.2035"><freejoint/><geom name="b" type="sphere" size="0.1" margin="0.003"/></body>
  </worldbody></mujoco>`;
  const model = compile(module, 'margin-probe.xml', xml);
  const data = new module.MjData(model);
  try {
    module.mj_forward(model, data);
    return data.ncon > 0 ? 'sum' : 'max';
  } finally {
    data.delete();
    model.delete();
  }
}

/** The distinct non-zero geom margins of a model file (`<geom … margin>` tags, defaults included). */
export function geomMargins(xml: string): number[] {
  const values = new Set<number>();
  for (const tag of xml.match(/<geom\b[^>]*>/g) ?? []) {
    const margin = /\bmargin="([^"]+)"/.exec(tag)?.[1];
    if (margin !== undefined && Number(margin) !== 0) values.add(Number(margin));
  }
  return [...values];
}

/** The model file with every geom margin doubled (joint margins untouched); see the module comment. */
export function doubleGeomMargins(xml: string, name = 'model'): string {
  const margins = geomMargins(xml);
  if (margins.length > 1) {
    throw new PolicygradError(
      `${name}: geoms with different contact margins (${margins.join(', ')}); doubling them would not reproduce MuJoCo ≥ 3.14's summed margins`,
    );
  }
  return xml.replace(/<geom\b[^>]*>/g, (tag) =>
    tag.replace(/\bmargin="([^"]+)"/, (_m, value: string) => `margin="${2 * Number(value)}"`),
  );
}

/** The compiled model of a shipped model file (compiled once, shared), with the margin patch where needed. */
export function sharedModel(file: string): MjModelHandle {
  const module = mujoco();
  let model = models.get(file);
  if (model === undefined) {
    const xml = MUJOCO_ASSETS[file];
    if (xml === undefined) throw new PolicygradError(`no MuJoCo model file ${file}`);
    model = compile(module, file, marginRule === 'max' ? doubleGeomMargins(xml, file) : xml);
    models.set(file, model);
  }
  return model;
}

/** Compiles any model XML (for tests of the margin handling). The caller deletes it. */
export function compileModel(name: string, xml: string): MjModelHandle {
  return compile(mujoco(), name, xml);
}
