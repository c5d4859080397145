/**
 * The shipped browser bundle (dist/browser/policygrad.js) in Chromium, with no bundler: a plain page imports it,
 * trains PPO on CartPole-v1 for a few iterations on the WebAssembly SIMD kernels, and the exported policy runs in
 * the inference bundle. Served with the cross-origin isolation headers the wasm kernels' shared memory needs.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium } from './chromium.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>bundle</title>
<script type="module">
  import { PPO, describeKernels, exportPolicy, normalizationOf } from './policygrad.js';
  import { loadPolicy } from './inference.js';
  const model = new PPO({ env: 'CartPole-v1', preset: 'zoo', seed: 3 });
  const history = model.learn({ totalTimesteps: 8192 });
  const file = exportPolicy(model.policy, {
    algo: 'ppo', env: 'CartPole-v1', envOptions: {}, observationSpace: model.env.singleObservationSpace,
    actionSpace: model.env.singleActionSpace, normalization: normalizationOf(model.env),
  });
  const agent = loadPolicy(JSON.stringify(file));
  const obs = new Float32Array([0.01, -0.02, 0.03, 0.04]);
  window.result = {
    kernels: describeKernels(),
    iterations: history.length,
    steps: history.at(-1).step,
    returns: history.map((m) => m.episodeReturnMean).filter((r) => r !== null),
    sameAction: agent.act(obs) === model.predict(obs, { deterministic: true }),
  };
</script>`;

describe.runIf(browserAvailable())('dist/browser bundle in Chromium, without a bundler', () => {
  let server: Server;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    const dir = join(process.cwd(), 'dist', 'browser');
    server = createServer((request, response) => {
      const headers = {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      };
      if (request.url === '/') {
        response.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      } else if (request.url === '/policygrad.js' || request.url === '/inference.js') {
        const body = readFileSync(join(dir, request.url.slice(1)));
        response.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(body);
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('trains PPO on CartPole on the wasm kernels, and the inference bundle acts like predict', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction(
      () => (window as unknown as { result?: unknown }).result !== undefined,
      undefined,
      {
        timeout: 60_000,
      },
    );
    const result = await page.evaluate(
      () =>
        (
          window as unknown as {
            result: {
              kernels: string;
              iterations: number;
              steps: number;
              returns: number[];
              sameAction: boolean;
            };
          }
        ).result,
    );
    expect(errors).toEqual([]);
    expect(result.kernels).toBe('wasm-simd');
    expect(result.iterations).toBe(32); // 8192 steps / (8 envs × 32 steps)
    expect(result.steps).toBe(8192);
    const first = result.returns.slice(0, 3).reduce((a, b) => a + b, 0) / 3;
    const last = result.returns.slice(-3).reduce((a, b) => a + b, 0) / 3;
    expect(last).toBeGreaterThan(first);
    expect(result.sameAction).toBe(true);
  }, 90_000);
});
