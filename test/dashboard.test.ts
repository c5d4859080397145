/**
 * `policygrad dashboard` as a server: what it lists and serves, and everything it must refuse — paths out of the
 * runs directory (plain, percent-encoded, with encoded slashes or backslashes, through symlinks), methods other
 * than GET/HEAD, and (bound to loopback) requests addressed to another host. Requests are sent raw with
 * node:http, because fetch would normalise `..` away before it reached the server.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, resolveRunFile } from '../src/cli/dashboard.js';
import { ROOT, startDashboardCli, trainRun } from './dashboard-helpers.js';

const SECRET = 'not-for-the-dashboard-7f3a';

function raw(
  url: string,
  path: string,
  options: { method?: string; host?: string } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.host ? { Host: options.host } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('policygrad dashboard (server)', { tags: ['slow'] }, () => {
  let base: string;
  let runs: string;
  let url: string;
  let child: ChildProcess;

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'policygrad-dashboard-')));
    runs = join(base, 'runs');
    mkdirSync(runs);
    trainRun(join(runs, 'ppo-seed0'), 0);
    trainRun(join(runs, 'ppo-seed1'), 1);
    writeFileSync(join(base, 'secret.txt'), SECRET);
    mkdirSync(join(base, 'outside'));
    writeFileSync(join(base, 'outside', 'metrics.csv'), `step\n${SECRET}\n`);
    symlinkSync(join(base, 'secret.txt'), join(runs, 'link-out.txt'));
    symlinkSync(join(base, 'outside'), join(runs, 'dir-link'));
    ({ url, child } = await startDashboardCli(runs));
  }, 60_000);

  afterAll(() => {
    child?.kill();
    rmSync(base, { recursive: true, force: true });
  });

  it('lists the runs with their group and seed, and serves their files', async () => {
    const listing = await raw(url, '/api/runs');
    expect(listing.status).toBe(200);
    const { runs: listed } = JSON.parse(listing.body) as {
      runs: { path: string; group: string; seed: number; metricsSize: number }[];
    };
    // The symlinked directory is not followed: only the two real runs.
    expect(listed.map((r) => r.path)).toEqual(['ppo-seed0', 'ppo-seed1']);
    expect(listed.map((r) => r.seed)).toEqual([0, 1]);
    expect(listed[0].group).toBe(listed[1].group); // two seeds of one config
    expect(listed[0].metricsSize).toBeGreaterThan(0);
    const csv = await raw(url, '/runs/ppo-seed0/metrics.csv');
    expect(csv.status).toBe(200);
    expect(csv.body.split('\n')[0]).toMatch(/^iteration,step,/);
    expect((await raw(url, '/runs/ppo-seed0/config.json')).status).toBe(200);
    const page = await raw(url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('policygrad');
    expect((await raw(url, '/static/app.js')).status).toBe(200);
    expect((await raw(url, '/static/uPlot.iife.min.js')).status).toBe(200);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each([
    ['/runs/../secret.txt', 403],
    ['/runs/../../etc/passwd', 403],
    ['/runs/ppo-seed0/../../secret.txt', 403],
    ['/runs/%2e%2e/secret.txt', 403],
    ['/runs/%2E%2E/%2E%2E/etc/passwd', 403],
    ['/runs/..%2fsecret.txt', 403],
    ['/runs/ppo-seed0%2f..%2f..%2fsecret.txt', 403],
    ['/runs/..%5csecret.txt', 403],
    ['/runs/%2e%2e%5csecret.txt', 403],
    ['/runs/%00/secret.txt', 403],
    ['/runs//etc/passwd', 403],
    ['/runs/%252e%252e/secret.txt', 404], // decoded once only: a literal "%2e%2e" directory, which does not exist
    ['/runs/%zz', 400],
    ['/runs/link-out.txt', 403], // a symlink inside the runs directory pointing out of it
    ['/runs/dir-link/metrics.csv', 403],
    ['/static/../../package.json', 404],
    ['/../package.json', 404],
  ])('refuses %s (%i) and never returns the file', async (path, status) => {
    const response = await raw(url, path);
    expect(response.status).toBe(status);
    expect(response.body).not.toContain(SECRET);
    expect(response.body).not.toContain('root:');
    expect(response.body).not.toContain('"name": "policygrad"');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('is read-only: %s gets 405', async (method) => {
    const response = await raw(url, '/runs/ppo-seed0/metrics.csv', { method });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('on loopback, refuses requests addressed to another host (DNS rebinding)', async () => {
    expect((await raw(url, '/api/runs', { host: 'attacker.example' })).status).toBe(403);
    expect((await raw(url, '/api/runs', { host: 'localhost:1234' })).status).toBe(200);
  });

  it('says what is wrong with a missing runs directory, without a stack trace', () => {
    const run = spawnSync('node', ['dist/cli/main.js', 'dashboard', join(base, 'nope'), '--port', '0'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no runs directory at .*nope/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('says when the port is taken', () => {
    const port = new URL(url).port;
    const run = spawnSync('node', ['dist/cli/main.js', 'dashboard', runs, '--port', port], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`port ${port} is in use`));
  });
});

describe('resolveRunFile', () => {
  it('resolves a plain path inside the root and refuses traversal before touching the disk', () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'policygrad-resolve-')));
    mkdirSync(join(root, 'a b'));
    writeFileSync(join(root, 'a b', 'm.csv'), 'x');
    expect(resolveRunFile(root, 'a%20b/m.csv')).toEqual({ file: join(root, 'a b', 'm.csv') });
    expect(resolveRunFile(root, 'a%20b')).toMatchObject({ status: 404 }); // a directory is not served
    expect(resolveRunFile(root, 'a%20b/../m.csv')).toMatchObject({ status: 403 });
    expect(resolveRunFile(root, '.')).toMatchObject({ status: 403 });
    rmSync(root, { recursive: true });
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '192.168.1.2', 'example.com', '::'].some(isLoopbackHost)).toBe(false);
  });
});
