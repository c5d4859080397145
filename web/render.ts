/**
 * Draws one observation of a classic-control env on a canvas with the library's own scenes (the pictures
 * `env.render()` returns), through a `Painter` over the canvas's 2D context. Every drawn env is placed by its
 * observation, so an episode is just the list of observations the worker sends.
 */
// Imported from their modules, not the package index, so the page's main bundle stays free of the envs' code.
import { drawAcrobot, drawCartPole, drawMountainCar, drawPendulum } from '../src/envs/classic/scenes.js';
import type { Painter } from '../src/envs/render.js';

class CanvasPainter implements Painter {
  constructor(private readonly ctx: CanvasRenderingContext2D) {}

  get width(): number {
    return this.ctx.canvas.width;
  }

  get height(): number {
    return this.ctx.canvas.height;
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

/** Each env's picture from its observation. */
const SCENES: Record<string, (p: Painter, obs: Float32Array) => void> = {
  'CartPole-v1': (p, obs) => drawCartPole(p, obs[0], obs[2]), // [x, ẋ, θ, θ̇]
  'Acrobot-v1': (p, obs) => drawAcrobot(p, Math.atan2(obs[1], obs[0]), Math.atan2(obs[3], obs[2])), // cos/sin θ1, θ2
  'Pendulum-v1': (p, obs) => drawPendulum(p, Math.atan2(obs[1], obs[0])), // [cos θ, sin θ, θ̇]
  'MountainCarContinuous-v0': (p, obs) => drawMountainCar(p, obs[0], 0.45), // [position, velocity]
  'MountainCar-v0': (p, obs) => drawMountainCar(p, obs[0], 0.5),
};

/** Draws `obs` of `env`, with a caption in the corner. */
export function drawFrame(canvas: HTMLCanvasElement, env: string, obs: Float32Array, caption: string): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  (SCENES[env] ?? SCENES['CartPole-v1'])(new CanvasPainter(ctx), obs);
  ctx.fillStyle = '#1f2937';
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(caption, 10, 20);
}
