/**
 * `--redis URL`: ACL user, database and TLS from the URL, the password from POLICYGRAD_REDIS_PASSWORD (or the URL),
 * and a description for messages that never holds the password.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redact } from '../src/node/redis-connection.js';

describe('--redis URL', () => {
  it('reads host, port, user, database and TLS; the password comes from the environment first', () => {
    const target = parseRedisUrl('rediss://sweeper:in-url@redis.lab:6380/2', {
      POLICYGRAD_REDIS_PASSWORD: 's3cret',
    });
    expect(target.options).toEqual({
      host: 'redis.lab',
      port: 6380,
      username: 'sweeper',
      password: 's3cret',
      db: 2,
      tls: { servername: 'redis.lab' },
    });
    expect(target.describe).toBe('rediss://sweeper@redis.lab:6380/2');
    expect(parseRedisUrl('redis://:p%40ss@10.0.0.5', {}).options).toEqual({
      host: '10.0.0.5',
      port: 6379,
      password: 'p@ss',
    });
    expect(parseRedisUrl('redis://:p%40ss@10.0.0.5', {}).describe).toBe('redis://10.0.0.5');
  });

  it('rediss:// takes TLS files (PEM texts in the options); an IP address is verified without a server name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policygrad-tls-files-'));
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const key = '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n';
    writeFileSync(join(dir, 'ca.pem'), cert);
    writeFileSync(join(dir, 'key.pem'), key);
    const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'ca.pem'), key: join(dir, 'key.pem') };
    expect(parseRedisUrl('rediss://10.0.0.5:6380', {}, files).options.tls).toEqual({ ca: cert, cert, key });
    expect(parseRedisUrl('rediss://redis.lab', {}, { ca: files.ca }).options.tls).toEqual({
      servername: 'redis.lab',
      ca: cert,
    });
    expect(() => parseRedisUrl('redis://10.0.0.5', {}, { ca: files.ca })).toThrow(
      "--redis-tls-ca is for TLS: use a rediss:// URL (the server's tls-port)",
    );
    expect(() => parseRedisUrl('rediss://10.0.0.5', {}, { ca: files.key })).toThrow(
      `--redis-tls-ca ${files.key} is not a PEM certificate`,
    );
    rmSync(dir, { recursive: true });
  });

  it('takes the password out of messages', () => {
    const target = parseRedisUrl('redis://h:1', { POLICYGRAD_REDIS_PASSWORD: 'hunter2' });
    expect(redact('WRONGPASS for hunter2', target)).toBe('WRONGPASS for <password>');
  });

  it.each([
    ['localhost:6379', "invalid --redis URL scheme 'localhost:': expected redis:// or rediss:// (TLS)"],
    ['http://h:1', "invalid --redis URL scheme 'http:': expected redis:// or rediss:// (TLS)"],
    ['redis://h:1/x', "invalid --redis database 'x': expected a number, e.g. redis://host:6379/0"],
    [
      'not a url',
      'invalid --redis URL: expected redis://[user@]host:port[/db] or rediss://… (TLS); the password goes in POLICYGRAD_REDIS_PASSWORD',
    ],
  ])('refuses %s in one line', (url, message) => {
    expect(() => parseRedisUrl(url, {})).toThrow(message);
  });
});
