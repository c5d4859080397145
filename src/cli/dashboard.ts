/**
 * `policygrad dashboard`: a local, read-only web server for run directories. It serves the dashboard page, a JSON
 * list of runs, and the files inside the runs directory — nothing else. Requests are GET or HEAD only; a path that
 * leaves the runs directory (`..`, encoded `..`, encoded slashes or backslashes, a symlink out of it) is refused;
 * bound to loopback (the default), requests whose Host is not a loopback name are refused too, so a web page on
 * another origin cannot reach it through DNS rebinding.
 */
import {
  createReadStream,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupKey, type RunConfigSummary, type RunListing } from '../dashboard/curves.js';
import { PolicygradError } from '../errors.js';

export interface DashboardOptions {
  root: string;
  host: string;
  port: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_DEPTH = 4;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const here = fileURLToPath(new URL('.', import.meta.url));
/**
 * The page's own files: its HTML/CSS (assets/dashboard), its compiled script (dist/dashboard) and uPlot, which
 * `npm run build` copies into dist/dashboard (scripts/build-browser.mjs), so the package needs no uplot installed.
 */
function staticFiles(): Record<string, string> {
  const assets = join(here, '..', '..', 'assets', 'dashboard');
  const script = join(here, '..', 'dashboard');
  return {
    '/': join(assets, 'index.html'),
    '/static/style.css': join(assets, 'style.css'),
    '/static/app.js': join(script, 'app.js'),
    '/static/curves.js': join(script, 'curves.js'),
    '/static/uPlot.iife.min.js': join(script, 'uPlot.iife.min.js'),
    '/static/uPlot.min.css': join(script, 'uPlot.min.css'),
  };
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

type Resolution = { file: string } | { status: number; reason: string };

/**
 * The file under `realRoot` that the URL path after `/runs/` names, or why it is refused. Each segment is decoded
 * on its own, so an encoded slash cannot join segments; `.`/`..`/empty segments and backslashes are refused before
 * touching the disk, and the real path (symlinks resolved) must still be inside the root.
 */
export function resolveRunFile(realRoot: string, encodedPath: string): Resolution {
  const segments: string[] = [];
  for (const raw of encodedPath.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, reason: 'malformed percent-encoding' };
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) {
      return { status: 403, reason: 'path leaves the runs directory' };
    }
    segments.push(segment);
  }
  let real: string;
  try {
    real = realpathSync(join(realRoot, ...segments));
  } catch {
    return { status: 404, reason: 'no such file' };
  }
  if (!real.startsWith(realRoot + sep)) return { status: 403, reason: 'path leaves the runs directory' };
  if (!statSync(real).isFile()) return { status: 404, reason: 'not a file' };
  return { file: real };
}

function readConfig(dir: string): RunConfigSummary | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as RunConfigSummary;
  } catch {
    return null;
  }
}

/** Run directories (holding metrics.csv or config.json) under the root, without following symlinks. */
export function listRuns(realRoot: string): RunListing[] {
  const runs: RunListing[] = [];
  const visit = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    if (names.has('metrics.csv') || names.has('config.json')) {
      const path = relative(realRoot, dir).split(sep).join('/');
      const config = readConfig(dir);
      const metrics = names.has('metrics.csv') ? lstatSync(join(dir, 'metrics.csv')) : null;
      const seed = config?.config?.seed;
      runs.push({
        path,
        name: basename(dir),
        group: groupKey(path, config),
        algo: config?.algo ?? null,
        env: config?.env ?? null,
        seed: typeof seed === 'number' ? seed : null,
        metricsSize: metrics?.size ?? 0,
        metricsMtimeMs: metrics?.mtimeMs ?? 0,
        hasConfig: names.has('config.json'),
      });
      return; // a run's checkpoints/ and final/ are not runs
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) {
      if (entry.isDirectory()) visit(join(dir, entry.name), depth + 1);
    }
  };
  visit(realRoot, 0);
  return runs.sort((a, b) => a.path.localeCompare(b.path));
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  response.end(body);
}

function sendFile(request: IncomingMessage, response: ServerResponse, file: string): void {
  const { size } = statSync(file);
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': 'no-store',
  });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}

export function createDashboardServer(options: { root: string; host: string }): Server {
  const realRoot = realpathSync(options.root);
  const files = staticFiles();
  const loopbackOnly = isLoopbackHost(options.host);
  return createServer((request, response) => {
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'");
    response.setHeader('Referrer-Policy', 'no-referrer');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(response, 405, 'read-only: only GET and HEAD are served\n');
      return;
    }
    const hostHeader = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (loopbackOnly && !isLoopbackHost(hostHeader)) {
      send(response, 403, 'the dashboard answers only requests addressed to a loopback host\n');
      return;
    }
    const rawPath = (request.url ?? '/').split('?')[0];
    try {
      if (rawPath === '/api/runs') {
        send(
          response,
          200,
          JSON.stringify({ root: realRoot, runs: listRuns(realRoot) }),
          CONTENT_TYPES['.json'],
        );
      } else if (rawPath.startsWith('/runs/')) {
        const resolved = resolveRunFile(realRoot, rawPath.slice('/runs/'.length));
        if ('file' in resolved) sendFile(request, response, resolved.file);
        else send(response, resolved.status, `${resolved.reason}\n`);
      } else if (rawPath === '/favicon.ico') {
        response.writeHead(204).end();
      } else if (Object.hasOwn(files, rawPath)) {
        sendFile(request, response, files[rawPath]);
      } else {
        send(response, 404, 'not found\n');
      }
    } catch (error) {
      send(response, 500, `${(error as Error).message}\n`);
    }
  });
}

/** Starts the server; resolves with its URL once it listens. */
export async function startDashboard(options: DashboardOptions): Promise<{ server: Server; url: string }> {
  if (!existsSync(options.root) || !statSync(options.root).isDirectory()) {
    throw new PolicygradError(
      `dashboard: no runs directory at ${options.root} (train a run first: policygrad train, or give the directory)`,
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new PolicygradError(
      `dashboard: invalid --port ${options.port}: expected an integer from 0 to 65535`,
    );
  }
  const server = createDashboardServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PolicygradError(`dashboard: port ${options.port} is in use; choose another with --port`)
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? new PolicygradError(`dashboard: cannot listen on host ${options.host} (${error.code})`)
            : error,
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { server, url: `http://${host}:${port}/` };
}
