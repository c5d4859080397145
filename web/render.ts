/**
 * Draws one observation of a classic-control env on a canvas. Every drawn env is fully described by its
 * observation, so an episode is just the list of observations the worker sends.
 */

type Draw = (ctx: CanvasRenderingContext2D, obs: Float32Array, w: number, h: number) => void;

const INK = '#1f2937';
const ACCENT = '#2563eb';
const WARM = '#d97706';

function clear(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  ctx.fillStyle = '#f8fafc';
  ctx.fillRect(0, 0, w, h);
}

/** CartPole: [x, ẋ, θ, θ̇], track ±2.4, pole length 1 (Gymnasium's length 0.5 is half the pole). */
const cartPole: Draw = (ctx, obs, w, h) => {
  const scale = w / 4.8 / 1.1;
  const groundY = h * 0.75;
  const cx = w / 2 + obs[0] * scale;
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(w / 2 - 2.4 * scale, groundY);
  ctx.lineTo(w / 2 + 2.4 * scale, groundY);
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.fillRect(cx - 25, groundY - 15, 50, 30);
  const poleLength = 1.0 * scale;
  ctx.strokeStyle = WARM;
  ctx.lineWidth = 8;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(cx, groundY - 15);
  ctx.lineTo(cx + Math.sin(obs[2]) * poleLength, groundY - 15 - Math.cos(obs[2]) * poleLength);
  ctx.stroke();
  ctx.fillStyle = ACCENT;
  ctx.beginPath();
  ctx.arc(cx, groundY - 15, 5, 0, 2 * Math.PI);
  ctx.fill();
};

/** Acrobot: [cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2], θ = 0 hanging down, links of length 1, goal line at +1. */
const acrobot: Draw = (ctx, obs, w, h) => {
  const t1 = Math.atan2(obs[1], obs[0]);
  const t2 = Math.atan2(obs[3], obs[2]);
  const scale = h / 4.6;
  const px = w / 2;
  const py = h / 2;
  const x1 = px + Math.sin(t1) * scale;
  const y1 = py + Math.cos(t1) * scale;
  const x2 = x1 + Math.sin(t1 + t2) * scale;
  const y2 = y1 + Math.cos(t1 + t2) * scale;
  ctx.strokeStyle = '#9ca3af';
  ctx.lineWidth = 1;
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(0, py - scale);
  ctx.lineTo(w, py - scale);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.lineCap = 'round';
  ctx.lineWidth = 10;
  ctx.strokeStyle = INK;
  ctx.beginPath();
  ctx.moveTo(px, py);
  ctx.lineTo(x1, y1);
  ctx.stroke();
  ctx.strokeStyle = WARM;
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x2, y2);
  ctx.stroke();
  ctx.fillStyle = ACCENT;
  for (const [x, y] of [
    [px, py],
    [x1, y1],
  ]) {
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.fill();
  }
};

/** Pendulum: [cos θ, sin θ, θ̇], θ = 0 upright. */
const pendulum: Draw = (ctx, obs, w, h) => {
  const t = Math.atan2(obs[1], obs[0]);
  const length = h * 0.38;
  const px = w / 2;
  const py = h / 2;
  ctx.strokeStyle = WARM;
  ctx.lineWidth = 14;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(px, py);
  ctx.lineTo(px + Math.sin(t) * length, py - Math.cos(t) * length);
  ctx.stroke();
  ctx.fillStyle = INK;
  ctx.beginPath();
  ctx.arc(px, py, 7, 0, 2 * Math.PI);
  ctx.fill();
};

/** MountainCar: [position, velocity] on the hill y = 0.45 sin(3x) + 0.55, x ∈ [−1.2, 0.6], flag at 0.45. */
const mountainCar: Draw = (ctx, obs, w, h) => {
  const minX = -1.2;
  const maxX = 0.6;
  const sx = w / (maxX - minX);
  const sy = h * 0.8;
  const toCanvas = (x: number): [number, number] => [
    (x - minX) * sx,
    h - 10 - (0.45 * Math.sin(3 * x) + 0.55) * sy * 0.9,
  ];
  ctx.strokeStyle = INK;
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (let i = 0; i <= 100; i++) {
    const [x, y] = toCanvas(minX + ((maxX - minX) * i) / 100);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  const [fx, fy] = toCanvas(0.45);
  ctx.strokeStyle = INK;
  ctx.beginPath();
  ctx.moveTo(fx, fy);
  ctx.lineTo(fx, fy - 40);
  ctx.stroke();
  ctx.fillStyle = '#16a34a';
  ctx.fillRect(fx, fy - 40, 22, 12);
  const [cx, cy] = toCanvas(obs[0]);
  const slope = Math.atan(0.45 * 3 * Math.cos(3 * obs[0]) * ((sy * 0.9) / sx));
  ctx.save();
  ctx.translate(cx, cy);
  ctx.rotate(-slope);
  ctx.fillStyle = WARM;
  ctx.fillRect(-20, -18, 40, 14);
  ctx.fillStyle = INK;
  for (const dx of [-12, 12]) {
    ctx.beginPath();
    ctx.arc(dx, -4, 5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.restore();
};

const DRAWERS: Record<string, Draw> = {
  'CartPole-v1': cartPole,
  'Acrobot-v1': acrobot,
  'Pendulum-v1': pendulum,
  'MountainCarContinuous-v0': mountainCar,
  'MountainCar-v0': mountainCar,
};

/** Draws `obs` of `env`, with a caption in the corner. */
export function drawFrame(canvas: HTMLCanvasElement, env: string, obs: Float32Array, caption: string): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const { width: w, height: h } = canvas;
  clear(ctx, w, h);
  (DRAWERS[env] ?? cartPole)(ctx, obs, w, h);
  ctx.fillStyle = INK;
  ctx.font = '13px system-ui, sans-serif';
  ctx.fillText(caption, 10, 20);
}
