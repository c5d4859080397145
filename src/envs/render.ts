/**
 * Rendering (Gymnasium's `render_mode='rgb_array'`): `make(id, { renderMode: 'rgb_array' })`, then
 * `env.render()` returns the current state as an RGB frame. Scenes are drawn through the small `Painter`
 * interface, so the same drawing code fills a `Frame` here (software rasteriser, no dependency, runs anywhere)
 * and a browser canvas on the training page.
 */

export const RENDER_MODES = ['rgb_array'] as const;
export type RenderMode = (typeof RENDER_MODES)[number];

/** An RGB image: `data` holds height × width × 3 bytes, row-major, top row first (NumPy's H×W×3 uint8). */
export interface Frame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** What a scene needs to draw; colours are CSS hex strings ('#rrggbb'). y grows downwards, in pixels. */
export interface Painter {
  readonly width: number;
  readonly height: number;
  clear(color: string): void;
  fillRect(x: number, y: number, w: number, h: number, color: string): void;
  /** A filled polygon from [x0, y0, x1, y1, …]. */
  polygon(points: readonly number[], color: string): void;
  circle(cx: number, cy: number, r: number, color: string): void;
  /** A thick segment with round ends. */
  line(x1: number, y1: number, x2: number, y2: number, width: number, color: string): void;
}

const parsed = new Map<string, [number, number, number]>();

function rgb(color: string): [number, number, number] {
  let value = parsed.get(color);
  if (value === undefined) {
    const hex = /^#([0-9a-f]{6})$/i.exec(color);
    if (hex === null) throw new Error(`render: colours are '#rrggbb' strings, got '${color}'`);
    const n = Number.parseInt(hex[1], 16);
    value = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    parsed.set(color, value);
  }
  return value;
}

/** Draws into a `Frame` (pixel centres at +0.5; a pixel is painted when its centre is inside the shape). */
export class RasterPainter implements Painter {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3);
  }

  frame(): Frame {
    return { width: this.width, height: this.height, data: this.data };
  }

  /** Paints pixels x0…x1 (inclusive) of row y: the first one, then doubling copies. */
  private span(y: number, x0: number, x1: number, [r, g, b]: [number, number, number]): void {
    if (x1 < x0) return;
    const start = (y * this.width + x0) * 3;
    const end = (y * this.width + x1 + 1) * 3;
    const { data } = this;
    data[start] = r;
    data[start + 1] = g;
    data[start + 2] = b;
    for (let filled = 3; start + filled < end; filled *= 2) {
      data.copyWithin(start + filled, start, Math.min(start + 2 * filled, end) - filled);
    }
  }

  clear(color: string): void {
    const c = rgb(color);
    for (let y = 0; y < this.height; y++) this.span(y, 0, this.width - 1, c);
  }

  fillRect(x: number, y: number, w: number, h: number, color: string): void {
    this.polygon([x, y, x + w, y, x + w, y + h, x, y + h], color);
  }

  /** Even-odd scanline fill. */
  polygon(points: readonly number[], color: string): void {
    const c = rgb(color);
    const n = points.length / 2;
    let top = Infinity;
    let bottom = -Infinity;
    for (let i = 0; i < n; i++) {
      top = Math.min(top, points[2 * i + 1]);
      bottom = Math.max(bottom, points[2 * i + 1]);
    }
    const crossings: number[] = [];
    for (let y = Math.max(0, Math.floor(top)); y <= Math.min(this.height - 1, Math.ceil(bottom)); y++) {
      const yc = y + 0.5;
      crossings.length = 0;
      for (let i = 0; i < n; i++) {
        const x1 = points[2 * i];
        const y1 = points[2 * i + 1];
        const x2 = points[(2 * i + 2) % (2 * n)];
        const y2 = points[(2 * i + 3) % (2 * n)];
        if (y1 <= yc !== y2 <= yc) crossings.push(x1 + ((yc - y1) / (y2 - y1)) * (x2 - x1));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const to = Math.min(this.width - 1, Math.floor(crossings[k + 1] - 0.5));
        this.span(y, from, to, c);
      }
    }
  }

  circle(cx: number, cy: number, r: number, color: string): void {
    const c = rgb(color);
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(this.height - 1, Math.ceil(cy + r)); y++) {
      const dy = y + 0.5 - cy;
      if (dy * dy > r * r) continue;
      const half = Math.sqrt(r * r - dy * dy); // pixel centres within ± half of cx
      this.span(
        y,
        Math.max(0, Math.ceil(cx - half - 0.5)),
        Math.min(this.width - 1, Math.floor(cx + half - 0.5)),
        c,
      );
    }
  }

  line(x1: number, y1: number, x2: number, y2: number, width: number, color: string): void {
    const length = Math.hypot(x2 - x1, y2 - y1);
    const half = width / 2;
    if (length > 0) {
      const nx = (-(y2 - y1) / length) * half;
      const ny = ((x2 - x1) / length) * half;
      this.polygon([x1 + nx, y1 + ny, x2 + nx, y2 + ny, x2 - nx, y2 - ny, x1 - nx, y1 - ny], color);
    }
    this.circle(x1, y1, half, color);
    this.circle(x2, y2, half, color);
  }
}
