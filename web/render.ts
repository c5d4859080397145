/**
 * Draws one frame of an episode on a canvas with the library's own scenes (the pictures `env.render()` returns),
 * through a `Painter` over the canvas's 2D context. A classic-control env is placed by its observation; a Box2D env
 * by the `picture()` the worker sent with the frame (its terrain is random, and BipedalWalker observes no position).
 */
// Imported from their modules, not the package index, so the page's main bundle stays free of the envs' code.
import { type BipedalWalkerPicture, drawBipedalWalker } from '../src/envs/box2d/bipedal-walker-scene.js';
import { drawLunarLander, type LunarLanderPicture } from '../src/envs/box2d/lunar-lander-scene.js';
import { drawAcrobot, drawCartPole, drawMountainCar, drawPendulum } from '../src/envs/classic/scenes.js';
import type { Painter } from '../src/envs/render.js';

class CanvasPainter implements Painter {
  /** `size`: the scene's own size when the context is scaled to fit it (the Box2D scenes are 600 × 400). */
  constructor(
    private readonly ctx: CanvasRenderingContext2D,
    private readonly size?: { width: number; height: number },
  ) {}

  get width(): number {
    return this.size?.width ?? this.ctx.canvas.width;
  }

  get height(): number {
    return this.size?.height ?? this.ctx.canvas.height;
  }

  clear(color: string): void {
    this.fillRect(0, 0, this.width, this.height, color);
  }

  fillRect(x: number, y: number, w: number, h: number, color: string): void {
    this.ctx.fillStyle = color;
    this.ctx.fillRect(x, y, w, h);
  }

  polygon(points: readonly number[], color: string): void {
    const { ctx } = this;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(points[0], points[1]);
    for (let i = 2; i < points.length; i += 2) ctx.lineTo(points[i], points[i + 1]);
    ctx.closePath();
    ctx.fill();
  }

  circle(cx: number, cy: number, r: number, color: string): void {
    const { ctx } = this;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    ctx.fill();
  }

  line(x1: number, y1: number, x2: number, y2: number, width: number, color: string): void {
    const { ctx } = this;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
  }
}

/** The Box2D envs' pictures (Gymnasium's VIEWPORT_W × VIEWPORT_H). */
const BOX2D_WIDTH = 600;
const BOX2D_HEIGHT = 400;
const PICTURES: Record<string, (p: Painter, picture: unknown) => void> = {
  'LunarLander-v3': (p, picture) => drawLunarLander(p, picture as LunarLanderPicture),
  'LunarLanderContinuous-v3': (p, picture) => drawLunarLander(p, picture as LunarLanderPicture),
  'BipedalWalker-v3': (p, picture) => drawBipedalWalker(p, picture as BipedalWalkerPicture),
};

/** Each classic-control env's picture from its observation. */
const SCENES: Record<string, (p: Painter, obs: Float32Array) => void> = {
  'CartPole-v1': (p, obs) => drawCartPole(p, obs[0], obs[2]), // [x, ẋ, θ, θ̇]
  'Acrobot-v1': (p, obs) => drawAcrobot(p, Math.atan2(obs[1], obs[0]), Math.atan2(obs[3], obs[2])), // cos/sin θ1, θ2
  'Pendulum-v1': (p, obs) => drawPendulum(p, Math.atan2(obs[1], obs[0])), // [cos θ, sin θ, θ̇]
  'MountainCarContinuous-v0': (p, obs) => drawMountainCar(p, obs[0], 0.45), // [position, velocity]
  'MountainCar-v0': (p, obs) => drawMountainCar(p, obs[0], 0.5),
  // The partially observed variants keep the positions and angles the scenes need (only velocities are masked).
  'CartPoleNoVel-v1': (p, obs) => drawCartPole(p, obs[0], obs[2]),
  'PendulumNoVel-v1': (p, obs) => drawPendulum(p, Math.atan2(obs[1], obs[0])),
  'MountainCarNoVel-v0': (p, obs) => drawMountainCar(p, obs[0], 0.5),
};

/** Draws `obs` of `env` (or its `picture`, for a Box2D env), with a caption in the corner. */
export function drawFrame(
  canvas: HTMLCanvasElement,
  env: string,
  obs: Float32Array,
  picture: unknown,
  caption: string,
): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  if (picture !== undefined && PICTURES[env] !== undefined) {
    // Gymnasium's 600 × 400 Box2D pictures, scaled to fit the canvas and centred.
    const k = Math.min(canvas.width / BOX2D_WIDTH, canvas.height / BOX2D_HEIGHT);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.save();
    ctx.translate((canvas.width - BOX2D_WIDTH * k) / 2, 0);
    ctx.scale(k, k);
    PICTURES[env](new CanvasPainter(ctx, { width: BOX2D_WIDTH, height: BOX2D_HEIGHT }), picture);
    ctx.restore();
  } else {
    (SCENES[env] ?? SCENES['CartPole-v1'])(new CanvasPainter(ctx), obs);
  }
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillStyle = 'rgba(255, 255, 255, 0.8)'; // readable on LunarLander's black sky too
  ctx.fillRect(4, 6, ctx.measureText(caption).width + 12, 20);
  ctx.fillStyle = '#1f2937';
  ctx.fillText(caption, 10, 20);
}
