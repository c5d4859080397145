/**
 * The GIF that `policygrad eval --record` writes, decoded by Chromium (WebCodecs' ImageDecoder): every frame is
 * there, 20 ms apart, and pixel for pixel the env's `render()` of that step (the palette is exact, not quantised).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/envs/builtin.js'; // what the CLI's main module does: register the built-in envs
import { recordEpisode } from '../../src/cli/record.js';
import { readPolicyFile } from '../../src/node/run-dir.js';
import { browserAvailable, launchChromium } from './chromium.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe.runIf(browserAvailable())('eval --record, decoded in Chromium', () => {
  let dir: string;
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'policygrad-gif-'));
    execFileSync('node', ['dist/cli/main.js', 'train', '--timesteps', '2048', '--out', join(dir, 'run')], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    execFileSync(
      'node',
      ['dist/cli/main.js', 'eval', join(dir, 'run'), '--episodes', '1', '--record', join(dir, 'a.gif')],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    // ImageDecoder needs a secure context: a page on localhost.
    server = createServer((_request, response) =>
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has every frame, 20 ms apart, each equal to the env render of that step', async () => {
    const expected = recordEpisode(readPolicyFile(join(dir, 'run')), 10_000).frames; // eval's default seed
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const picks = [0, Math.floor(expected.length / 2), expected.length - 1];
    // The comparison runs in the page: only counts come back.
    const decoded = await page.evaluate(
      async ({ base64, picks, wanted }) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        interface Decoded {
          image: CanvasImageSource & { displayWidth: number; displayHeight: number; duration: number };
        }
        interface Decoder {
          completed: Promise<void>;
          tracks: { selectedTrack: { frameCount: number } };
          decode(options: { frameIndex: number }): Promise<Decoded>;
        }
        const ImageDecoder = (globalThis as unknown as { ImageDecoder: new (init: unknown) => Decoder })
          .ImageDecoder;
        const decoder = new ImageDecoder({ data: bytes, type: 'image/gif' });
        await decoder.completed;
        const frames = [];
        for (let i = 0; i < picks.length; i++) {
          const { image } = await decoder.decode({ frameIndex: picks[i] });
          const canvas = new OffscreenCanvas(image.displayWidth, image.displayHeight);
          const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
          context.drawImage(image, 0, 0);
          const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
          const want = Uint8Array.from(atob(wanted[i]), (c) => c.charCodeAt(0));
          let differing = 0;
          for (let p = 0, k = 0; k < want.length; p += 4, k += 3) {
            if (rgba[p] !== want[k] || rgba[p + 1] !== want[k + 1] || rgba[p + 2] !== want[k + 2])
              differing++;
          }
          frames.push({ width: canvas.width, height: canvas.height, duration: image.duration, differing });
        }
        return { count: decoder.tracks.selectedTrack.frameCount, frames };
      },
      {
        base64: readFileSync(join(dir, 'a.gif')).toString('base64'),
        picks,
        wanted: picks.map((i) => Buffer.from(expected[i].data).toString('base64')),
      },
    );
    expect(decoded.count).toBe(expected.length);
    for (const frame of decoded.frames) {
      expect([frame.width, frame.height]).toEqual([600, 400]);
      expect(frame.duration).toBe(20_000); // microseconds
      expect(frame.differing).toBe(0); // pixels that differ from env.render()
    }
  }, 90_000);
});
