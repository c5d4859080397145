/**
 * The training page in a real browser: built with Vite, served with its cross-origin isolation headers, driven
 * by Playwright in Chromium. Trains PPO on CartPole-v1 (seed 0) in the page's Web Worker.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/inference.js';
import type { DemoState } from '../../web/demo.js';
import { ARTIFACTS_DIR, browserAvailable, launchChromium } from './chromium.js';

interface PageState {
  kernels: string;
  iterations: number;
  curve: [number, number][];
  framesDrawn: number;
  episodesShown: number;
  episodeEnv: string;
  finished: boolean;
  error: string;
  demo: DemoState;
}

const CONFIG = join(process.cwd(), 'web', 'vite.config.ts');

describe.runIf(browserAvailable())('training page (web/)', () => {
  let outDir: string;
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  const state = () =>
    page.evaluate(() => (window as unknown as { policygradPage: PageState }).policygradPage);

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'policygrad-web-'));
    await build({ configFile: CONFIG, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    server = await preview({
      configFile: CONFIG,
      logLevel: 'error',
      build: { outDir },
      preview: { port: 0 },
    });
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.resolvedUrls?.local[0] ?? '');
    await page.waitForFunction(
      () => (window as unknown as { policygradPage?: PageState }).policygradPage?.kernels,
    );
    expect(errors).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('runs the WebAssembly SIMD kernels (the page is cross-origin isolated)', async () => {
    expect((await state()).kernels).toBe('wasm-simd');
  });

  it('trains PPO on CartPole in a worker: the curve gains points, the return rises, the canvas draws', async () => {
    await page.selectOption('#env', 'CartPole-v1');
    await page.selectOption('#algo', 'ppo-clip');
    await page.fill('#seed', '0');
    await page.click('#start');
    // 60 iterations of the zoo preset (8 envs × 32 steps) = 15,360 steps.
    await page.waitForFunction(
      () => (window as unknown as { policygradPage: PageState }).policygradPage.iterations >= 60,
      undefined,
      { timeout: 90_000 },
    );
    const s = await state();
    expect(s.error).toBe('');
    expect(s.curve.length).toBeGreaterThan(30);
    const mean = (points: [number, number][]) => points.reduce((a, p) => a + p[1], 0) / points.length;
    const early = mean(s.curve.slice(0, 5));
    const late = mean(s.curve.slice(-5));
    // Random CartPole policies last ≈ 20 steps; seed 0 reaches returns in the hundreds by 15k steps.
    expect(late).toBeGreaterThan(2 * early);
    expect(late).toBeGreaterThan(80);
    expect(s.framesDrawn).toBeGreaterThan(0);
    expect(s.episodesShown).toBeGreaterThan(0);
    // The canvas has more than the background on it.
    const distinctColours = await page.evaluate(() => {
      const canvas = document.getElementById('env-canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4 * 97)
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return colours.size;
    });
    expect(distinctColours).toBeGreaterThan(3);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'web-training.png'), fullPage: true });
  }, 120_000);

  it('pauses and resumes', async () => {
    await page.click('#pause');
    const paused = (await state()).iterations;
    await page.waitForTimeout(500);
    const stillPaused = (await state()).iterations;
    expect(stillPaused - paused).toBeLessThanOrEqual(1); // at most the iteration that was running
    await page.click('#pause');
    await page.waitForFunction(
      (n) => (window as unknown as { policygradPage: PageState }).policygradPage.iterations > n + 2,
      stillPaused,
      { timeout: 30_000 },
    );
  }, 60_000);

  it('downloads the trained policy, and a loaded policy plays on the canvas', async () => {
    const downloadPromise = page.waitForEvent('download');
    await page.click('#download');
    const download = await downloadPromise;
    expect(download.suggestedFilename()).toBe('policygrad-ppo-CartPole-v1.json');
    const path = await download.path();
    const text = readFileSync(path, 'utf8');
    const policy = loadPolicy(text); // the export format the inference entry reads
    expect(policy.observationSize).toBe(4);
    expect([0, 1]).toContain(policy.act([0, 0, 0.05, 0]));

    const before = (await state()).episodesShown;
    await page.setInputFiles('#load', path);
    await page.waitForFunction(
      (n) => (window as unknown as { policygradPage: PageState }).policygradPage.episodesShown > n,
      before,
      { timeout: 30_000 },
    );
    expect(await page.textContent('#status')).toContain('watching a loaded policy');
  }, 60_000);

  it('REINFORCE with the estimator switches: the gradient-variance chart gains points', async () => {
    await page.selectOption('#env', 'CartPole-v1');
    await page.selectOption('#algo', 'reinforce');
    await page.selectOption('#returns', 'reward-to-go');
    await page.selectOption('#baseline', 'mean');
    await page.fill('#variance-every', '1'); // every iteration
    await page.click('#start');
    await page.waitForFunction(
      () =>
        (window as unknown as { policygradPage: PageState & { variance: unknown[] } }).policygradPage.variance
          .length >= 3,
      undefined,
      { timeout: 60_000 },
    );
    const s = (await state()) as PageState & {
      variance: { variance: number; totalReturnVariance: number }[];
    };
    expect(s.error).toBe('');
    expect(await page.isVisible('#variance-panel')).toBe(true);
    for (const v of s.variance) {
      expect(v.variance).toBeGreaterThan(0);
      expect(v.totalReturnVariance).toBeGreaterThan(0);
    }
    // Reward-to-go minus a baseline has less variance than the total return (the seeds' argument), on average.
    const ratio = s.variance.reduce((a, v) => a + v.variance / v.totalReturnVariance, 0) / s.variance.length;
    expect(ratio).toBeLessThan(1);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'web-reinforce.png'), fullPage: true });
  }, 90_000);

  it.each([
    ['trpo', 'maxKl'],
    ['ppo-kl', 'klPenaltyTarget'],
    ['ppo-clip', 'clipRange'],
  ])(
    '%s: the trust-region field sets %s and a blank field keeps the preset',
    async (algo, field) => {
      await page.selectOption('#env', 'CartPole-v1');
      await page.selectOption('#algo', algo);
      await page.fill('#gamma', '0.97');
      await page.fill('#trust', '0.0321'); // any value: the form must not round to a step
      await page.click('#start');
      await page.waitForFunction(
        (text) => document.getElementById('config')?.textContent?.includes(text),
        `"${field}": 0.0321`,
        { timeout: 30_000 },
      );
      expect(await page.textContent('#config')).toContain('"gamma": 0.97');
      await page.fill('#gamma', '');
    },
    60_000,
  );

  it('shows the trust-region field only for the algorithms that have one', async () => {
    for (const [algo, visible] of [
      ['a2c', false],
      ['reinforce', false],
      ['trpo', true],
      ['ppo-kl', true],
    ] as const) {
      await page.selectOption('#algo', algo);
      expect(await page.isVisible('#trust')).toBe(visible);
    }
  });

  it('an invalid hyperparameter is reported on the page, naming the field', async () => {
    await page.selectOption('#algo', 'a2c');
    await page.fill('#lr', '0');
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Error:'));
    const status = await page.textContent('#status');
    expect(status).toContain('learningRate');
    expect(await page.isDisabled('#pause')).toBe(true);
    await page.fill('#lr', '');
  });

  for (const env of ['Acrobot-v1', 'Pendulum-v1', 'MountainCarContinuous-v0']) {
    it(`trains A2C on ${env} and draws it`, async () => {
      await page.selectOption('#env', env);
      await page.selectOption('#algo', 'a2c');
      const before = (await state()).episodesShown;
      await page.click('#start');
      // This run's first iteration as well as a new episode: an episode the previous run's worker had already sent
      // can be drawn just after Start (iterations still 0) when the machine is busy.
      await page.waitForFunction(
        (n) => {
          const s = (window as unknown as { policygradPage: PageState }).policygradPage;
          return s.episodesShown > n && s.iterations > 0;
        },
        before,
        { timeout: 30_000 },
      );
      const s = await state();
      expect(s.error).toBe('');
      expect(s.iterations).toBeGreaterThan(0);
      await page.screenshot({ path: join(ARTIFACTS_DIR, `web-${env}.png`) });
    }, 60_000);
  }

  // The Box2D envs are drawn from the pictures the worker sends (planck loaded lazily in the worker).
  for (const [env, colours] of [
    ['LunarLander-v3', [0x000000, 0xffffff, 0xcccc00]], // sky, ground, the pad's flags (the lander may fly off the top)
    ['BipedalWalker-v3', [0xd7d7ff, 0x66994c, 0x7f33e5]], // sky, ground, hull
  ] as const) {
    it(`trains A2C on ${env} and draws its picture`, async () => {
      await page.selectOption('#env', env);
      await page.selectOption('#algo', 'a2c');
      const before = await state();
      await page.click('#start');
      await page.waitForFunction(
        ([episodes, frames, id]) => {
          const s = (window as unknown as { policygradPage: PageState }).policygradPage;
          return (
            s.episodesShown > episodes &&
            s.framesDrawn > frames + 5 &&
            s.iterations > 0 &&
            s.episodeEnv === id
          );
        },
        [before.episodesShown, before.framesDrawn, env] as const,
        { timeout: 60_000 },
      );
      const s = await state();
      expect(s.error).toBe('');
      expect(s.iterations).toBeGreaterThan(0);
      const present = await page.evaluate((wanted: readonly number[]) => {
        const canvas = document.getElementById('env-canvas') as HTMLCanvasElement;
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        const colours = new Set<number>();
        for (let i = 0; i < data.length; i += 4)
          colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        return wanted.filter((c) => colours.has(c));
      }, colours);
      await page.screenshot({ path: join(ARTIFACTS_DIR, `web-${env}.png`) });
      expect(present).toEqual(colours);
    }, 90_000);
  }

  it('memory demo: RecurrentPPO (LSTM) and PPO (MLP) train at once on CartPoleNoVel-v1, two curves', async () => {
    // A run of the form is going: the demo pauses it, so its two workers have the cores.
    await page.selectOption('#env', 'CartPole-v1');
    await page.selectOption('#algo', 'a2c');
    await page.click('#start');
    await page.waitForFunction(
      () => (window as unknown as { policygradPage: PageState }).policygradPage.iterations > 0,
    );
    await page.fill('#demo-steps', '2048'); // 8 iterations of 8 envs × 32 steps each: the short budget
    await page.click('#demo-start');
    expect(await page.textContent('#pause')).toBe('Resume');
    await page.waitForFunction(
      () => {
        const d = (window as unknown as { policygradPage: PageState }).policygradPage.demo;
        return d.error !== '' || (d.lstm.finished && d.mlp.finished);
      },
      undefined,
      { timeout: 90_000 },
    );
    const { demo } = await state();
    expect(demo.error).toBe('');
    expect(demo.running).toBe(false);
    for (const run of [demo.lstm, demo.mlp]) {
      expect(run.iterations).toBe(8);
      expect(run.step).toBe(2048);
      expect(run.curve.length).toBeGreaterThan(0); // random CartPole episodes end within an iteration
      expect(run.config).toMatchObject({ env: 'CartPoleNoVel-v1', numEnvs: 8, nSteps: 32, seed: 0 });
    }
    // The LSTM side is ppo_lstm.yml's preset; the MLP side has CartPole-v1's zoo values (the same rollout).
    expect(demo.lstm.config).toMatchObject({ preset: 'zoo', hiddenSize: 64, enableCriticLstm: true });
    expect(demo.mlp.config).toMatchObject({ nEpochs: 20, gamma: 0.98, gaeLambda: 0.8 });
    expect(demo.mlp.config).not.toHaveProperty('hiddenSize');
    // Both series are on the chart, and both runs' progress in the status line.
    const legend = await page.textContent('#demo-curve');
    expect(legend).toContain('LSTM policy (RecurrentPPO)');
    expect(legend).toContain('MLP policy (PPO)');
    const status = await page.textContent('#demo-status');
    expect(status).toContain('LSTM: 2,048 / 2,048 steps');
    expect(status).toContain('MLP: 2,048 / 2,048 steps');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'web-memory-demo.png'), fullPage: true });
  }, 120_000);

  it('served without cross-origin isolation, it still trains, on the TypeScript kernels, and says why', async () => {
    // A plain static server, as a user might use for build/web: no COOP/COEP headers.
    const plain = createServer((request, response) => {
      const path = join(outDir, (request.url ?? '/').split('?')[0].replace(/\/$/, '/index.html'));
      if (!path.startsWith(outDir) || !existsSync(path)) {
        response.writeHead(404).end();
        return;
      }
      const type = path.endsWith('.js')
        ? 'text/javascript'
        : path.endsWith('.css')
          ? 'text/css'
          : 'text/html';
      response.writeHead(200, { 'Content-Type': type }).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const other = await browser.newPage();
    try {
      await other.goto(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/`);
      await other.waitForFunction(
        () => (window as unknown as { policygradPage?: PageState }).policygradPage?.kernels,
      );
      const kernels = await other.evaluate(
        () => (window as unknown as { policygradPage: PageState }).policygradPage.kernels,
      );
      expect(kernels).toMatch(
        /^typescript \(WebAssembly SIMD unavailable: SharedArrayBuffer is not available/,
      );
      await other.selectOption('#algo', 'a2c');
      await other.click('#start');
      await other.waitForFunction(
        () => (window as unknown as { policygradPage: PageState }).policygradPage.iterations >= 20,
        undefined,
        { timeout: 30_000 },
      );
    } finally {
      await other.close();
      plain.close();
    }
  }, 60_000);
});
