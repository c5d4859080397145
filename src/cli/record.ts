/**
 * `policygrad eval --record agent.gif`: one deterministic episode of a saved policy, rendered with the env's
 * `rgb_array` mode and written as an animated GIF (gifenc).
 */
import type Gifenc from 'gifenc';
import { loadPolicy } from '../inference.js';
import type { Frame } from '../envs/render.js';
import { make } from '../envs/registry.js';
import type { PolicyFile } from '../policies/serialize.js';
import { PolicygradError } from '../errors.js';
import { writeFileAtomically } from '../node/run-dir.js';
import { checkWritableFile } from './destinations.js';
import { installedPackages, loadOptional, type PackageSource } from './optional-packages.js';

export interface Recording {
  frames: number;
  episodeReturn: number;
  bytes: number;
}

/** Frames of one deterministic episode (the reset state, then one per step). */
export function recordEpisode(
  file: PolicyFile,
  seed: number,
  maxFrames = 1000,
): { frames: Frame[]; episodeReturn: number } {
  const agent = loadPolicy(JSON.stringify(file));
  const env = make<Float32Array, number | Float32Array>(file.env, {
    ...file.envOptions,
    renderMode: 'rgb_array',
  });
  try {
    let { observation } = env.reset({ seed });
    const frames: Frame[] = [];
    const capture = () => {
      const frame = env.render?.() ?? null;
      if (frame !== null) frames.push({ ...frame, data: frame.data.slice() });
    };
    capture();
    let episodeReturn = 0;
    while (frames.length < maxFrames) {
      const action = agent.act(observation);
      const step = env.step(typeof action === 'number' ? action : Float32Array.from(action));
      episodeReturn += step.reward;
      observation = step.observation;
      capture();
      if (step.terminated || step.truncated) break;
    }
    return { frames, episodeReturn };
  } finally {
    env.close();
  }
}

/**
 * The frames as palette indices when they use at most 256 colours in all (the scenes are drawn without
 * anti-aliasing, so they do): one exact palette, no quantisation. Null when there are more colours.
 */
function exactPalette(frames: readonly Frame[]): { palette: number[][]; indices: Uint8Array[] } | null {
  const slot = new Uint16Array(1 << 24); // colour → palette index + 1
  const palette: number[][] = [];
  const indices: Uint8Array[] = [];
  for (const { data } of frames) {
    const index = new Uint8Array(data.length / 3);
    for (let p = 0, k = 0; k < data.length; p++, k += 3) {
      const key = (data[k] << 16) | (data[k + 1] << 8) | data[k + 2];
      let at = slot[key];
      if (at === 0) {
        if (palette.length === 256) return null;
        palette.push([data[k], data[k + 1], data[k + 2]]);
        at = slot[key] = palette.length;
      }
      index[p] = at - 1;
    }
    indices.push(index);
  }
  return { palette, indices };
}

/** gifenc, an optional peer dependency: imported on first use, one line naming it when it is not installed. */
export async function loadGifenc(packages: PackageSource = installedPackages): Promise<typeof Gifenc> {
  const { modules } = await loadOptional('eval --record (GIF encoding)', { imports: ['gifenc'] }, packages);
  // Node imports gifenc's CommonJS build (its exports are `default`); bundlers its ES build (named exports).
  const module = modules[0] as Partial<typeof Gifenc> & { default: typeof Gifenc };
  return typeof module.GIFEncoder === 'function' ? (module as typeof Gifenc) : module.default;
}

/** An animated GIF of RGB frames, `delayMs` apart, looping. */
export function encodeGif(gifenc: typeof Gifenc, frames: readonly Frame[], delayMs: number): Uint8Array {
  const { GIFEncoder, quantize, applyPalette } = gifenc;
  const gif = GIFEncoder();
  const exact = exactPalette(frames);
  if (exact !== null) {
    // GIF palettes have a power-of-two size.
    const palette = [...exact.palette];
    while (palette.length < 2 || (palette.length & (palette.length - 1)) !== 0) palette.push([0, 0, 0]);
    exact.indices.forEach((index, i) =>
      gif.writeFrame(
        index,
        frames[i].width,
        frames[i].height,
        i === 0 ? { palette, delay: delayMs } : { delay: delayMs },
      ),
    );
    gif.finish();
    return gif.bytes();
  }
  for (const frame of frames) {
    const rgba = new Uint8Array(frame.width * frame.height * 4);
    for (let k = 0, j = 0; k < frame.data.length; k += 3, j += 4) {
      rgba[j] = frame.data[k];
      rgba[j + 1] = frame.data[k + 1];
      rgba[j + 2] = frame.data[k + 2];
      rgba[j + 3] = 255;
    }
    const palette = quantize(rgba, 64);
    gif.writeFrame(applyPalette(rgba, palette), frame.width, frame.height, { palette, delay: delayMs });
  }
  gif.finish();
  return gif.bytes();
}

/** Refuses, before any work, a --record destination that is no .gif file name or cannot be written. */
export function checkGifDestination(out: string): void {
  if (!out.toLowerCase().endsWith('.gif')) {
    throw new PolicygradError(`eval: --record ${out}: expected a file name ending in .gif`);
  }
  checkWritableFile(out, 'eval: --record');
}

export async function recordGif(
  file: PolicyFile,
  out: string,
  seed: number,
  packages: PackageSource = installedPackages,
): Promise<Recording> {
  checkGifDestination(out);
  const gifenc = await loadGifenc(packages);
  let episode;
  try {
    episode = recordEpisode(file, seed);
  } catch (error) {
    if (error instanceof PolicygradError && /cannot render/.test(error.message)) {
      throw new PolicygradError(
        `eval: --record: ${file.env} cannot be rendered (rendering covers the classic-control envs)`,
      );
    }
    throw error;
  }
  const bytes = encodeGif(gifenc, episode.frames, 20);
  writeFileAtomically(out, bytes);
  return { frames: episode.frames.length, episodeReturn: episode.episodeReturn, bytes: bytes.length };
}
