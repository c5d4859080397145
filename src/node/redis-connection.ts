/**
 * Reaching Redis, for every command that does (`sweep --redis`, `policygrad worker`, `train --redis` for
 * IMPALA/APPO and `policygrad actor`): the URL (redis:// or rediss:// for TLS, with an
 * optional ACL user), the password from `POLICYGRAD_REDIS_PASSWORD` rather than the command line (which other
 * users can read in `ps`), TLS files (a private CA, a client certificate) checked before use, a first connection
 * retried with backoff and a one-line message (at once for a refused password or an untrusted certificate), and
 * ioredis (an optional peer dependency) loaded only when a command needs it.
 *
 * The password is never printed, logged or written to disk: messages name the server as `describe()` gives it.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Redis, RedisOptions } from 'ioredis';
import { PolicygradError } from '../errors.js';

export const PASSWORD_VARIABLE = 'POLICYGRAD_REDIS_PASSWORD';

/**
 * Every key of ours starts with this: `policygrad:sweep:<sweep>:…` and BullMQ's `policygrad:trials:…` (sweeps),
 * `policygrad:run:<run>:…` (IMPALA/APPO), so an ACL rule can grant one sweep system or one run.
 */
export const KEY_PREFIX = 'policygrad';

/** What ioredis and BullMQ connect with (holds the password: never print it). */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** For rediss://: the server's name to verify (not for an IP address), and PEM texts from the TLS files. */
  tls?: { servername?: string; ca?: string; cert?: string; key?: string };
}

/**
 * TLS files for a rediss:// server (paths): `ca`, the certificate authority that signed the server's certificate
 * (a private CA; the system's are trusted anyway), and a client certificate with its key, for a server that asks
 * for one (redis.conf `tls-auth-clients yes`, its default).
 */
export interface RedisTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The command-line flags of `RedisTlsFiles`, as messages name them. */
export const TLS_FLAGS = { ca: '--redis-tls-ca', cert: '--redis-tls-cert', key: '--redis-tls-key' } as const;

export interface RedisTarget {
  options: RedisConnection;
  /** `redis://user@host:port/db`, without the password. */
  describe: string;
}

export function parseRedisUrl(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  tlsFiles: RedisTlsFiles = {},
): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PolicygradError(
      `invalid --redis URL: expected redis://[user@]host:port[/db] or rediss://… (TLS); the password goes in ${PASSWORD_VARIABLE}`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new PolicygradError(
      `invalid --redis URL scheme '${parsed.protocol}': expected redis:// or rediss:// (TLS)`,
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new PolicygradError(
      `invalid --redis database '${db}': expected a number, e.g. redis://host:6379/0`,
    );
  }
  const password =
    env[PASSWORD_VARIABLE] ?? (parsed.password === '' ? undefined : decodeURIComponent(parsed.password));
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const tls = parsed.protocol === 'rediss:';
  return {
    options: {
      host,
      port,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(db === '' ? {} : { db: Number(db) }),
      ...(tls
        ? { tls: { ...(isIP(host) === 0 ? { servername: host } : {}), ...readTlsFiles(tlsFiles) } }
        : checkNoTlsFiles(tlsFiles)),
    },
    describe: `${parsed.protocol}//${username === undefined ? '' : `${username}@`}${parsed.host}${db === '' ? '' : `/${db}`}`,
  };
}

/** The TLS flags as commander gives them (`--redis-tls-ca` → `redisTlsCa`). */
export interface RedisTlsFlags {
  redisTlsCa?: string;
  redisTlsCert?: string;
  redisTlsKey?: string;
}

export function tlsFilesOf(flags: RedisTlsFlags): RedisTlsFiles {
  return { ca: flags.redisTlsCa, cert: flags.redisTlsCert, key: flags.redisTlsKey };
}

/** The first TLS flag given (as messages name it), or undefined: for commands where TLS needs --redis. */
export function givenTlsFlag(flags: RedisTlsFlags): string | undefined {
  const files = tlsFilesOf(flags);
  const given = (Object.keys(TLS_FLAGS) as (keyof RedisTlsFiles)[]).find((k) => files[k] !== undefined);
  return given === undefined ? undefined : TLS_FLAGS[given];
}

function checkNoTlsFiles(files: RedisTlsFiles): object {
  const given = (Object.keys(TLS_FLAGS) as (keyof RedisTlsFiles)[]).filter((k) => files[k] !== undefined);
  if (given.length > 0) {
    throw new PolicygradError(
      `${TLS_FLAGS[given[0]]} is for TLS: use a rediss:// URL (the server's tls-port)`,
    );
  }
  return {};
}

/** The PEM texts of the TLS files, each checked to be what its flag says (a key's text is never printed). */
function readTlsFiles(files: RedisTlsFiles): { ca?: string; cert?: string; key?: string } {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new PolicygradError(
      `${TLS_FLAGS.cert} and ${TLS_FLAGS.key} go together: the client certificate and its private key`,
    );
  }
  const pem = (which: keyof RedisTlsFiles, label: RegExp, expected: string) => {
    const path = files[which];
    if (path === undefined) return {};
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new PolicygradError(`cannot read ${TLS_FLAGS[which]} ${path} (${reason})`);
    }
    if (!label.test(text)) {
      throw new PolicygradError(
        `${TLS_FLAGS[which]} ${path} is not a PEM ${expected}: expected a '-----BEGIN ${expected.toUpperCase()}-----' block`,
      );
    }
    return { [which]: text };
  };
  return {
    ...pem('ca', /-----BEGIN CERTIFICATE-----/, 'certificate'),
    ...pem('cert', /-----BEGIN CERTIFICATE-----/, 'certificate'),
    ...pem('key', /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, 'private key'),
  };
}

export type Ioredis = { Redis: typeof Redis };

/** ioredis, or one line saying how to install it. */
export async function loadIoredis(command: string): Promise<Ioredis> {
  try {
    return await import('ioredis');
  } catch (error) {
    throw missingPackages(error, command, ['ioredis'], 'for runs on several machines');
  }
}

/** The one-line error for an optional package that is not installed (anything else is rethrown). */
export function missingPackages(error: unknown, command: string, names: string[], purpose: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND') return error;
  const list = names.join(' and ');
  return new PolicygradError(
    `${command} needs the ${list} package${names.length === 1 ? '' : 's'} (optional, ${purpose}): npm install ${names.join(' ')}`,
  );
}

/** Node's messages for a server certificate that does not verify: retrying cannot help. */
const TLS_TRUST_ERRORS =
  /self[- ]signed certificate|unable to (?:verify|get (?:local )?issuer)|certificate has expired|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i;

/** Delays between connection attempts (seconds); `POLICYGRAD_REDIS_CONNECT_ATTEMPTS` caps the number of attempts. */
const BACKOFF_S = [0.5, 1, 2, 4, 8, 15, 30];

/**
 * Connects once and PINGs, retrying with backoff while the server is unreachable (each wait announced on one
 * line); a refused password fails at once. Resolves with the connected client.
 */
export async function connectWithRetry(
  ioredis: Ioredis,
  target: RedisTarget,
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  clientOptions: RedisOptions = {},
): Promise<Redis> {
  const attempts = Number(env.POLICYGRAD_REDIS_CONNECT_ATTEMPTS ?? BACKOFF_S.length + 1);
  for (let attempt = 1; ; attempt++) {
    const client = new ioredis.Redis({
      ...clientOptions,
      ...target.options,
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: null,
      retryStrategy: () => null,
    });
    // The socket's own error (ECONNREFUSED, a TLS failure) comes as an event; the rejection only says "closed".
    let socketError: string | null = null;
    client.on('error', (error: Error) => (socketError ??= error.message));
    try {
      await client.connect();
      await client.ping();
      // Connected: from now on a lost connection is re-established with backoff, commands waiting meanwhile.
      let lost = false;
      client.options.retryStrategy = (times: number) => {
        const wait = BACKOFF_S[Math.min(times - 1, BACKOFF_S.length - 1)];
        say(`lost Redis at ${target.describe}; reconnecting in ${wait}s (attempt ${times})`);
        lost = true;
        return wait * 1000;
      };
      client.on('ready', () => {
        if (lost) say(`Redis at ${target.describe} reachable again`);
        lost = false;
      });
      return client;
    } catch (error) {
      client.disconnect();
      const reason = redact(socketError ?? (error as Error).message, target);
      if (/WRONGPASS|NOAUTH|NOPERM/.test(reason)) {
        throw new PolicygradError(
          `Redis at ${target.describe} refused us (${reason}): check the user in the URL and the password in ${PASSWORD_VARIABLE}`,
        );
      }
      if (TLS_TRUST_ERRORS.test(reason)) {
        throw new PolicygradError(
          `Redis at ${target.describe}: its TLS certificate is not trusted (${reason}): pass the certificate authority that signed it with ${TLS_FLAGS.ca} FILE`,
        );
      }
      if (attempt >= attempts) {
        throw new PolicygradError(
          `cannot reach Redis at ${target.describe} after ${attempt} attempt${attempt === 1 ? '' : 's'} (${reason}): is redis-server running and bound to an address this machine can reach?`,
        );
      }
      const wait = BACKOFF_S[Math.min(attempt - 1, BACKOFF_S.length - 1)];
      say(
        `cannot reach Redis at ${target.describe} (${reason}); retrying in ${wait}s (attempt ${attempt + 1} of ${attempts})`,
      );
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }
}

/** A message with the password (if any) taken out. */
export function redact(text: string, target: RedisTarget): string {
  const { password } = target.options;
  return password === undefined || password === '' ? text : text.split(password).join('<password>');
}

/** A sweep id, trial id or IMPALA/APPO run id: what may appear in a key or a job id (no ':', so an ACL key
 * pattern `…:<id>:*` grants exactly one). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
