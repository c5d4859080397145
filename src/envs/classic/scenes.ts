/**
 * Pictures of the classic-control envs, drawn through a `Painter` from the few numbers that place each body (so
 * a page can draw them from observations, and `env.render()` from the internal state). Layouts follow Gymnasium's
 * pictures loosely: same bodies, proportions and goal markers, our colours.
 */
import type { Painter } from '../render.js';

const BACKGROUND = '#f8fafc';
const INK = '#1f2937';
const ACCENT = '#2563eb';
const WARM = '#d97706';
const GOAL = '#16a34a';
const GUIDE = '#9ca3af';

/** CartPole: cart position x ∈ [−2.4, 2.4] on its track, pole angle θ (0 upright), pole length 1. */
export function drawCartPole(p: Painter, x: number, theta: number): void {
  const { width: w, height: h } = p;
  p.clear(BACKGROUND);
  const scale = w / 4.8 / 1.1;
  const groundY = h * 0.75;
  const cx = w / 2 + x * scale;
  p.line(w / 2 - 2.4 * scale, groundY, w / 2 + 2.4 * scale, groundY, 2, INK);
  p.fillRect(cx - 25, groundY - 15, 50, 30, INK);
  const poleLength = scale;
  p.line(
    cx,
    groundY - 15,
    cx + Math.sin(theta) * poleLength,
    groundY - 15 - Math.cos(theta) * poleLength,
    8,
    WARM,
  );
  p.circle(cx, groundY - 15, 5, ACCENT);
}

/** Acrobot: link angles θ1 (0 hanging down) and θ2 (relative to link 1), links of length 1; goal line at +1. */
export function drawAcrobot(p: Painter, theta1: number, theta2: number): void {
  const { width: w, height: h } = p;
  p.clear(BACKGROUND);
  const scale = h / 4.6;
  const px = w / 2;
  const py = h / 2;
  const x1 = px + Math.sin(theta1) * scale;
  const y1 = py + Math.cos(theta1) * scale;
  const x2 = x1 + Math.sin(theta1 + theta2) * scale;
  const y2 = y1 + Math.cos(theta1 + theta2) * scale;
  for (let x = 0; x < w; x += 10) p.line(x, py - scale, x + 6, py - scale, 1, GUIDE); // dashed goal line
  p.line(px, py, x1, y1, 10, INK);
  p.line(x1, y1, x2, y2, 10, WARM);
  p.circle(px, py, 6, ACCENT);
  p.circle(x1, y1, 6, ACCENT);
}

/** Pendulum: angle θ (0 upright). */
export function drawPendulum(p: Painter, theta: number): void {
  const { width: w, height: h } = p;
  p.clear(BACKGROUND);
  const length = h * 0.38;
  p.line(w / 2, h / 2, w / 2 + Math.sin(theta) * length, h / 2 - Math.cos(theta) * length, 14, WARM);
  p.circle(w / 2, h / 2, 7, INK);
}

/** MountainCar: position ∈ [−1.2, 0.6] on the hill y = 0.45 sin(3x) + 0.55, flag at 0.45 (or `goal`). */
export function drawMountainCar(p: Painter, position: number, goal = 0.45): void {
  const { width: w, height: h } = p;
  p.clear(BACKGROUND);
  const minX = -1.2;
  const maxX = 0.6;
  const sx = w / (maxX - minX);
  const sy = h * 0.72;
  const toCanvas = (x: number): [number, number] => [
    (x - minX) * sx,
    h - 10 - (0.45 * Math.sin(3 * x) + 0.55) * sy,
  ];
  let [prevX, prevY] = toCanvas(minX);
  for (let i = 1; i <= 100; i++) {
    const [x, y] = toCanvas(minX + ((maxX - minX) * i) / 100);
    p.line(prevX, prevY, x, y, 2, INK);
    [prevX, prevY] = [x, y];
  }
  const [fx, fy] = toCanvas(goal);
  p.line(fx, fy, fx, fy - 40, 2, INK);
  p.fillRect(fx, fy - 40, 22, 12, GOAL);
  const [cx, cy] = toCanvas(position);
  const slope = Math.atan(0.45 * 3 * Math.cos(3 * position) * (sy / sx));
  const cos = Math.cos(slope);
  const sin = Math.sin(slope);
  // The car body and wheels, rotated to the slope (canvas y points down, so a rising slope turns it left).
  const at = (dx: number, dy: number): [number, number] => [
    cx + dx * cos + dy * sin,
    cy - dx * sin + dy * cos,
  ];
  p.polygon([...at(-20, -18), ...at(20, -18), ...at(20, -4), ...at(-20, -4)], WARM);
  for (const dx of [-12, 12]) {
    const [x, y] = at(dx, -4);
    p.circle(x, y, 5, INK);
  }
}
