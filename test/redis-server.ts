/**
 * A private Redis for tests: Debian's `redis-server` (`.ci/run` installs it) on a port the OS picked, bound to
 * 127.0.0.1 only, protected mode on, a random password, no persistence (`save ""`, `appendonly no`) in a fresh
 * temporary directory, stopped and removed afterwards: by `stop()`, or by a watchdog shell around the server when
 * the test process dies without calling it (vitest's workers end without running exit handlers). Elsewhere the tests that need it are skipped with a message
 * when it is missing, except under CI, where a missing server fails them.
 *
 * The settings go in a config file (mode 0600, in a mode-0700 directory) rather than as `--requirepass …`
 * arguments, so the password is never on a command line other users can read (`ps`, /proc/PID/cmdline). The
 * password is in `password` and `url` only: never log those; the server's output is redacted before any error
 * message quotes it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export const REDIS_SERVER_PATH = process.env.POLICYGRAD_REDIS_SERVER ?? '/usr/bin/redis-server';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
/** A port the OS handed out can be taken by someone else before Redis binds it; then we ask again. */
const PORT_ATTEMPTS = 3;
const OUTPUT_LIMIT = 16_384;

/** True when the Redis tests can run here; under CI they must. */
export function redisAvailable(): boolean {
  const available = existsSync(REDIS_SERVER_PATH);
  if (!available && process.env.CI) {
    throw new Error(
      `Redis tests need redis-server at ${REDIS_SERVER_PATH} (.ci/run installs Debian's redis-server package)`,
    );
  }
  if (!available) console.warn(`skipping Redis tests: no redis-server at ${REDIS_SERVER_PATH}`);
  return available;
}

/**
 * For a describe block: a server started before its tests and a client connected to it, both stopped after.
 * Read `redis.server` and `redis.client` inside the tests.
 */
export function useRedisServer(options: RedisServerOptions = {}): { server: RedisTestServer; client: Redis } {
  const context = {} as { server: RedisTestServer; client: Redis };
  beforeAll(async () => {
    context.server = await startRedisServer(options);
    context.client = context.server.client();
  });
  afterAll(async () => {
    await context.client?.quit();
    await context.server?.stop();
  });
  return context;
}

export interface RedisServerOptions {
  /** Default: 24 random bytes, hex. */
  password?: string;
  /** More redis.conf lines (tests of the harness itself). */
  config?: string[];
}

export interface RedisTestServer {
  readonly host: string;
  readonly port: number;
  /** Secret: never log it. */
  readonly password: string;
  /** redis://:password@127.0.0.1:port — holds the password: never log it. */
  readonly url: string;
  /** The server's working directory (removed by `stop`). */
  readonly dir: string;
  /** The redis-server process. */
  readonly pid: number;
  /** What was run (a watchdog shell around redis-server): holds no secret. */
  readonly commandLine: readonly string[];
  /**
   * Drops the harness's end of the watchdog's pipe without waiting, as a dying test process does (tests of the
   * harness: the watchdog must stop the server and remove its directory by itself).
   */
  abandon(): void;
  /** A new client, authenticated; the caller quits it. */
  client(options?: RedisOptions): Redis;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a private redis-server and resolves once it answers an authenticated PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisTestServer> {
  const password = options.password ?? randomBytes(24).toString('hex');
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    try {
      return await launch(port, password, options.config ?? []);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

class PortTakenError extends Error {}

/** Asks the OS for a free port on the loopback interface (listen on port 0, read it, close). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * sh -c WATCHDOG redis-server CONFIG DIR: runs the server, reports its pid on fd 3, and stops it when its stdin
 * reaches end of file, which happens when `stop()` closes it or when the test process dies in any way (a test
 * runner's worker is killed without running exit handlers); then removes DIR. It also exits when the server does.
 */
const WATCHDOG = [
  'exec 4<&0',
  '"$0" "$1" 3>&- 4<&- </dev/null & server=$!',
  'echo "$server" >&3',
  '(read -r _ || true; kill -TERM "$server" 2>/dev/null) <&4 3>&- & watcher=$!',
  'wait "$server"; status=$?',
  'kill "$watcher" 2>/dev/null',
  'rm -rf "$2"',
  'exit "$status"',
].join('\n');

async function launch(port: number, password: string, extraConfig: string[]): Promise<RedisTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'policygrad-redis-'));
  const configPath = join(dir, 'redis.conf');
  const config = [
    `bind ${HOST}`,
    `port ${port}`,
    'protected-mode yes',
    `requirepass ${password}`,
    'save ""',
    'appendonly no',
    `dir ${dir}`,
    'daemonize no',
    'logfile ""',
    'loglevel warning',
    ...extraConfig,
  ];
  await writeFile(configPath, config.join('\n') + '\n', { mode: 0o600 });

  const child = spawn('/bin/sh', ['-c', WATCHDOG, REDIS_SERVER_PATH, configPath, dir], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let serverPid = 0;
  (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
    serverPid ||= Number.parseInt(chunk.toString('utf8'), 10);
  });
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve();
    });
  }).then(() => {
    running = false;
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (running) await terminate(child, () => serverPid, exited);
    await rm(dir, { recursive: true, force: true });
  };

  const redact = (text: string) => text.split(password).join('<password>');
  try {
    await waitForPing(
      port,
      password,
      () => running,
      () => serverPid > 0,
      () => redact(output),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: HOST,
    port,
    password,
    url: `redis://:${encodeURIComponent(password)}@${HOST}:${port}`,
    dir,
    pid: serverPid,
    commandLine: child.spawnargs,
    abandon: () => child.stdin?.destroy(),
    client: (extra: RedisOptions = {}) => new Redis({ host: HOST, port, password, ...extra }),
    stop,
  };
}

async function waitForPing(
  port: number,
  password: string,
  running: () => boolean,
  pidKnown: () => boolean,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!running()) {
      const log = output();
      const message = `redis-server stopped before answering PING: ${log.trim()}`;
      throw /Address already in use/i.test(log) ? new PortTakenError(message) : new Error(message);
    }
    if (pidKnown() && (await answersPing(port, password))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `redis-server did not answer PING on ${HOST}:${port} within ${START_TIMEOUT_MS} ms: ${output()}`,
  );
}

async function answersPing(port: number, password: string): Promise<boolean> {
  const client = new Redis({
    host: HOST,
    port,
    password,
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {}); // refused connections while the server starts are expected
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Closes the watchdog's stdin (it stops the server and removes the directory); SIGKILL after 5 s. */
async function terminate(child: ChildProcess, serverPid: () => number, exited: Promise<void>): Promise<void> {
  child.stdin?.end();
  const timer = setTimeout(() => {
    if (serverPid() > 0) process.kill(serverPid(), 'SIGKILL');
    child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
