/**
 * TLS for the Redis tests (test/sweep-redis-security.test.ts, test/redis-run-security.test.ts): whether this machine
 * can run them (the openssl CLI, a redis-server built with TLS), and throwaway certificates made with openssl.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  freeLoopbackPort,
  REDIS_SERVER_PATH,
  type RedisTestServer,
  startRedisServer,
} from './redis-server.js';

/** Why the TLS test cannot run here, or null. */
export function tlsUnavailable(): string | null {
  if (spawnSync('openssl', ['version']).status !== 0) return 'no openssl CLI to make test certificates';
  // A server told to listen nowhere says so and exits; one built without TLS refuses the directive first.
  const probe = spawnSync(REDIS_SERVER_PATH, ['--port', '0', '--tls-port', '0'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return /not listen anywhere/.test(probe.stdout + probe.stderr)
    ? null
    : `${REDIS_SERVER_PATH} was built without TLS support (--tls-port refused)`;
}

export interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/**
 * A CA, a server certificate for 127.0.0.1 and a client certificate (common name `clientName`), all signed by the
 * CA (EC P-256, one day), in `dir`.
 */
export function makeCertificates(dir: string, clientName: string): Certificates {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) =>
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path(name));
  key('ca.key');
  openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=policygrad test CA',
  );
  writeFileSync(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, subject, ext] of [
    ['server', '/CN=localhost', ['-extfile', 'server.ext']],
    ['client', `/CN=${clientName}`, []],
  ] as const) {
    key(`${name}.key`);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      ...ext,
    );
  }
  return {
    dir,
    ca: path('ca.pem'),
    serverCert: path('server.pem'),
    serverKey: path('server.key'),
    clientCert: path('client.pem'),
    clientKey: path('client.key'),
  };
}

/** redis.conf lines for a TLS port with these certificates, client certificates required, and one ACL user. */
export function tlsServerConfig(
  certs: Certificates,
  tlsPort: number,
  acl: { user: string; password: string; rules: readonly string[] },
): string[] {
  return [
    `tls-port ${tlsPort}`,
    `tls-cert-file ${certs.serverCert}`,
    `tls-key-file ${certs.serverKey}`,
    `tls-ca-cert-file ${certs.ca}`,
    'tls-auth-clients yes',
    `user ${acl.user} on >${acl.password} ${acl.rules.join(' ')}`,
  ];
}

/** A client of the TLS port as the ACL user (the caller disconnects it); commands fail rather than wait. */
export function aclClient(certs: Certificates, tlsPort: number, user: string, password: string): Redis {
  return new Redis({
    host: '127.0.0.1',
    port: tlsPort,
    username: user,
    password,
    tls: {
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    },
    maxRetriesPerRequest: 0,
  });
}

/** The administrative commands no ACL rule of ours allows: each refused. */
export async function expectAdminRefused(client: Redis): Promise<void> {
  await expect(client.flushall()).rejects.toThrow(/NOPERM/);
  await expect(client.keys('*')).rejects.toThrow(/NOPERM/);
  await expect(client.call('CONFIG', 'GET', 'requirepass')).rejects.toThrow(/NOPERM/);
}

/** A TLS Redis for a describe block, with its certificates and one ACL user; `certs`, `server`, `port` after beforeAll. */
export interface TlsRedis {
  /** A temporary directory (removed afterwards); the certificates are in a subdirectory. */
  readonly work: string;
  /** The ACL user's password (secret: never log it). */
  readonly password: string;
  /** The environment that gives the CLI the ACL user's password. */
  readonly env: { POLICYGRAD_REDIS_PASSWORD: string };
  certs: Certificates;
  server: RedisTestServer;
  /** The TLS port (the server's plain port is its `port`). */
  port: number;
  /** rediss://USER@127.0.0.1:PORT (no password). */
  url(): string;
  /** --redis-tls-cert and --redis-tls-key. */
  clientFiles(): string[];
  /** --redis-tls-ca, --redis-tls-cert and --redis-tls-key. */
  tlsFlags(): string[];
}

export function useTlsRedis(name: string, user: string, rules: readonly string[]): TlsRedis {
  const work = mkdtempSync(join(tmpdir(), `policygrad-${name}-tls-`));
  const password = `acl-${randomBytes(12).toString('hex')}`;
  const context: TlsRedis = {
    work,
    password,
    env: { POLICYGRAD_REDIS_PASSWORD: password },
    certs: undefined as unknown as Certificates,
    server: undefined as unknown as RedisTestServer,
    port: 0,
    url: () => `rediss://${user}@127.0.0.1:${context.port}`,
    clientFiles: () => [
      '--redis-tls-cert',
      context.certs.clientCert,
      '--redis-tls-key',
      context.certs.clientKey,
    ],
    tlsFlags: () => ['--redis-tls-ca', context.certs.ca, ...context.clientFiles()],
  };
  beforeAll(async () => {
    context.certs = makeCertificates(mkdtempSync(join(work, 'certs-')), user);
    context.port = await freeLoopbackPort();
    context.server = await startRedisServer({
      config: tlsServerConfig(context.certs, context.port, { user, password, rules }),
    });
  });
  afterAll(async () => {
    await context.server?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return context;
}
