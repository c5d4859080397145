/**
 * The picture of BipedalWalker as Gymnasium draws it: a 600 × 400 window (30 px per metre, y up) that follows the
 * hull, light sky, white clouds moving at half speed, green terrain with alternating edge shades, white obstacles
 * with grey outlines, the four legs (the far pair lighter), the purple hull, and the start flag.
 */
import type { Painter } from '../render.js';

const SKY = '#d7d7ff'; // (215, 215, 255)
const CLOUD = '#ffffff';
const GROUND = '#66994c'; // (102, 153, 76)
const EDGE_EVEN = '#4cff4c'; // (76, 255, 76)
const EDGE_ODD = '#4ccc4c'; // (76, 204, 76)
const OBSTACLE = '#ffffff';
const OBSTACLE_OUTLINE = '#999999'; // (153, 153, 153)
const HULL = '#7f33e5'; // (127, 51, 229)
const HULL_OUTLINE = '#4c4c7f'; // (76, 76, 127)
const FLAG = '#e63300'; // (230, 51, 0)
const POLE = '#000000';

/** Gymnasium's leg colours: (153 − 25i, 76 − 25i, 127 − 25i) filled, (102 − 25i, 51 − 25i, 76 − 25i) outlined. */
function legColors(side: number): [string, string] {
  const hex = (rgb: number[]): string => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  return [hex([153, 76, 127].map((c) => c - side * 25)), hex([102, 51, 76].map((c) => c - side * 25))];
}

export interface BipedalWalkerPicture {
  /** Pixels per metre (Gymnasium's SCALE). */
  scale: number;
  /** Metres scrolled: the hull's x − 4 (the window shows [scroll, scroll + 20] when scroll > 0). */
  scroll: number;
  terrainX: readonly number[];
  terrainY: readonly number[];
  /** World-space polygons [x0, y0, x1, y1, …]. */
  obstacles: readonly (readonly number[])[];
  clouds: readonly (readonly number[])[];
  flagX: number;
  flagY: number;
  legs: readonly { polygon: readonly number[]; side: number }[];
  hull: readonly number[];
}

export function drawBipedalWalker(p: Painter, scene: BipedalWalkerPicture): void {
  const { scale, scroll, terrainX, terrainY } = scene;
  const left = Math.max(0, scroll) * scale;
  const toScreen = (xy: readonly number[], shift = left): number[] =>
    xy.map((v, i) => (i % 2 === 0 ? v * scale - shift : p.height - v * scale));
  const outlined = (polygon: readonly number[], fill: string, outline: string): void => {
    const points = toScreen(polygon);
    p.polygon(points, fill);
    for (let i = 0; i < points.length; i += 2) {
      const j = (i + 2) % points.length;
      p.line(points[i], points[i + 1], points[j], points[j + 1], 1, outline);
    }
  };
  p.clear(SKY);
  const viewWidth = p.width / scale;
  for (const cloud of scene.clouds) {
    const xs = cloud.filter((_, i) => i % 2 === 0);
    // Clouds scroll at half speed: Gymnasium shifts them by scroll/2 and culls them against that window.
    if (Math.max(...xs) < scroll / 2 || Math.min(...xs) > scroll / 2 + viewWidth) continue;
    p.polygon(toScreen(cloud, left - (scroll * scale) / 2), CLOUD);
  }
  for (let i = 0; i + 1 < terrainX.length; i++) {
    if (terrainX[i + 1] < scroll || terrainX[i] > scroll + viewWidth) continue;
    const [x1, y1, x2, y2] = [terrainX[i], terrainY[i], terrainX[i + 1], terrainY[i + 1]];
    p.polygon(toScreen([x1, y1, x2, y2, x2, 0, x1, 0]), GROUND);
    const [a, b, c, d] = toScreen([x1, y1, x2, y2]);
    p.line(a, b, c, d, 1, i % 2 === 0 ? EDGE_EVEN : EDGE_ODD);
  }
  for (const obstacle of scene.obstacles) outlined(obstacle, OBSTACLE, OBSTACLE_OUTLINE);
  for (const leg of scene.legs) outlined(leg.polygon, ...legColors(leg.side));
  outlined(scene.hull, HULL, HULL_OUTLINE);

  const [flagX, flagBottom] = toScreen([scene.flagX, scene.flagY]);
  const flagTop = flagBottom - 50;
  p.line(flagX, flagBottom, flagX, flagTop, 1, POLE);
  p.polygon([flagX, flagTop, flagX, flagTop + 10, flagX + 25, flagTop + 5], FLAG);
}
