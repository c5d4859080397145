/**
 * The picture of LunarLander as Gymnasium draws it (600 × 400, 30 px per metre, y up): black sky above the
 * terrain, white ground, the lander and its legs in purple with a dark outline, and the two flags of the pad.
 */
import type { Painter } from '../render.js';

const SKY = '#000000';
const GROUND = '#ffffff';
const BODY = '#8066e6'; // Gymnasium's (128, 102, 230)
const OUTLINE = '#4d4d80'; // (77, 77, 128)
const FLAG = '#cccc00'; // (204, 204, 0)

export interface LunarLanderPicture {
  /** Pixels per metre (Gymnasium's SCALE). */
  scale: number;
  chunkX: readonly number[];
  smoothY: readonly number[];
  helipadX1: number;
  helipadX2: number;
  helipadY: number;
  /** World-space polygons [x0, y0, x1, y1, …] of the lander and the legs. */
  bodies: readonly (readonly number[])[];
}

export function drawLunarLander(p: Painter, scene: LunarLanderPicture): void {
  const { scale, chunkX, smoothY } = scene;
  const toScreen = (xy: readonly number[]): number[] =>
    xy.map((v, i) => (i % 2 === 0 ? v * scale : p.height - v * scale));
  p.clear(GROUND);
  for (let i = 0; i + 1 < chunkX.length; i++) {
    const [x1, y1, x2, y2] = [chunkX[i], smoothY[i], chunkX[i + 1], smoothY[i + 1]];
    p.polygon(toScreen([x1, y1, x2, y2, x2, p.height / scale, x1, p.height / scale]), SKY);
  }
  for (const polygon of scene.bodies) {
    const points = toScreen(polygon);
    p.polygon(points, BODY);
    for (let i = 0; i < points.length; i += 2) {
      const j = (i + 2) % points.length;
      p.line(points[i], points[i + 1], points[j], points[j + 1], 1, OUTLINE);
    }
  }
  for (const x of [scene.helipadX1, scene.helipadX2]) {
    const px = x * scale;
    const poleBottom = p.height - scene.helipadY * scale;
    const poleTop = poleBottom - 50;
    p.line(px, poleBottom, px, poleTop, 1, GROUND);
    p.polygon([px, poleTop, px, poleTop + 10, px + 25, poleTop + 5], FLAG);
  }
}
