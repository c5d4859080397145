/**
 * The dashboard page in Chromium: it shows runs the test trains with the CLI, follows rows appended to a run's
 * metrics.csv and runs that appear while it is open, averages seeds of one config, shows a run's config, and the
 * server refuses a traversal attempt made from the page.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardCli, trainRun } from '../dashboard-helpers.js';
import { ARTIFACTS_DIR, browserAvailable, launchChromium } from './chromium.js';

interface DashboardState {
  runs: string[];
  series: { label: string; points: number }[];
  reads: number;
  error: string;
}

describe.runIf(browserAvailable())('dashboard page', () => {
  let base: string;
  let runs: string;
  let child: ChildProcess;
  let browser: Browser;
  let page: Page;
  const state = () =>
    page.evaluate(() => (window as unknown as { policygradDashboard: DashboardState }).policygradDashboard);
  // Predicates are self-contained functions, not strings: the page's Content-Security-Policy forbids
  // evaluating strings, and Playwright sends a function's source to the page.
  type Window = { policygradDashboard?: DashboardState };
  const waitFor = (predicate: (n: number) => boolean, n = 0) =>
    page.waitForFunction(predicate, n, { timeout: 15_000 });

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'policygrad-dashboard-page-'));
    runs = join(base, 'runs');
    mkdirSync(runs);
    trainRun(join(runs, 'ppo-seed0'), 0, 4096);
    let url: string;
    ({ url, child } = await startDashboardCli(runs));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(url);
    await waitFor(() => (window as unknown as Window).policygradDashboard?.series.length === 1);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    child?.kill();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('shows the run: listed, plotted with one point per iteration that finished an episode', async () => {
    const s = await state();
    expect(s.error).toBe('');
    expect(s.runs).toEqual(['ppo-seed0']);
    expect(await page.isChecked('input[data-run="ppo-seed0"]')).toBe(true);
    const rows =
      readFileSync(join(runs, 'ppo-seed0', 'metrics.csv'), 'utf8')
        .trim()
        .split('\n').length - 1;
    expect(s.series[0].points).toBeGreaterThan(rows / 2);
    expect(s.series[0].points).toBeLessThanOrEqual(rows);
    expect(await page.locator('.u-over').count()).toBe(1); // the uPlot chart is on the page
  });

  it('updates live when rows are appended', async () => {
    const before = (await state()).series[0].points;
    const csv = readFileSync(join(runs, 'ppo-seed0', 'metrics.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0].split(',');
    const last = csv.at(-1)?.split(',') ?? [];
    for (let k = 1; k <= 3; k++) {
      const row = [...last];
      row[header.indexOf('iteration')] = String(Number(last[header.indexOf('iteration')]) + k);
      row[header.indexOf('step')] = String(Number(last[header.indexOf('step')]) + 256 * k);
      row[header.indexOf('episode_return_mean')] = String(400 + k);
      appendFileSync(join(runs, 'ppo-seed0', 'metrics.csv'), `${row.join(',')}\n`);
    }
    await waitFor(
      (n) => (window as unknown as Window).policygradDashboard?.series[0].points === n,
      before + 3,
    );
    expect(await page.locator('.live').count()).toBeGreaterThan(0);
  }, 30_000);

  it('picks up a new run, and averages the seeds of one config', async () => {
    trainRun(join(runs, 'ppo-seed1'), 1, 4096);
    await waitFor(() => (window as unknown as Window).policygradDashboard?.runs.length === 2);
    await page.check('input[data-run="ppo-seed1"]');
    await page.check('#aggregate');
    await waitFor(() => (window as unknown as Window).policygradDashboard?.series.length === 1);
    expect((await state()).series[0].label).toContain('mean ± std of 2 seeds');
    await page.click('text=ppo-seed1 (seed 1)');
    await page.waitForFunction(() => document.getElementById('config')?.textContent?.includes('"seed": 1'));
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard.png') });
  }, 60_000);

  it('plots another metric against wall-clock time', async () => {
    await page.uncheck('#aggregate');
    await page.selectOption('#metric', 'entropy');
    await page.selectOption('#x-axis', 'time_s');
    await waitFor(() => (window as unknown as Window).policygradDashboard?.series.length === 2);
    const s = await state();
    expect(s.series.every((series) => series.points > 0)).toBe(true);
  });

  it('refuses an encoded traversal request made from the page', async () => {
    const status = await page.evaluate(async () => (await fetch('/runs/..%2F..%2Fetc%2Fpasswd')).status);
    expect(status).toBe(403);
  });
});
