/**
 * The Redis test harness (test/redis-server.ts) that the actor/learner tests build on: a private, locked-down
 * server on a free loopback port; a stream with a consumer group round-trips an entry (XADD, XREADGROUP, XACK);
 * connections without the password are refused; the password stays out of error messages and command lines; and
 * the server and its directory are gone after `stop`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, type RedisTestServer, startRedisServer, useRedisServer } from './redis-server.js';

const available = redisAvailable();

/** Resolves true if something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Sends inline commands one by one on a plain socket and collects each one-line reply. */
function rawSession(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const replies: string[] = [];
    let buffered = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        replies.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (replies.length === commands.length) {
          socket.destroy();
          resolve(replies);
          return;
        }
        socket.write(commands[replies.length] + '\r\n');
      }
    });
    socket.once('connect', () => socket.write(commands[0] + '\r\n'));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!available)('a private redis-server for tests', () => {
  const redis = useRedisServer();
  let server: RedisTestServer;
  let client: Redis;
  beforeAll(() => {
    ({ server, client } = redis);
  });

  it('listens on 127.0.0.1 only, at the port the OS gave, with a password, protected mode and no persistence', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(await client.ping()).toBe('PONG');
    const setting = async (name: string) => ((await client.config('GET', name)) as string[])[1];
    expect(await setting('bind')).toBe('127.0.0.1');
    expect(await setting('port')).toBe(String(server.port));
    expect(await setting('protected-mode')).toBe('yes');
    expect(await setting('save')).toBe('');
    expect(await setting('appendonly')).toBe('no');
    expect(await setting('dir')).toBe(server.dir);
    expect((await setting('requirepass')) === server.password).toBe(true); // compared, never printed
    expect(/^[0-9a-f]{48}$/.test(server.password)).toBe(true); // 24 random bytes, hex (not printed on failure)
  });

  it('a stream with a consumer group: XADD, XREADGROUP, XPENDING, XACK', async () => {
    const stream = 'test:chunks';
    const group = 'learner';
    await client.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
    const payload = Buffer.from(new Float32Array([1.5, -2, 3.25]).buffer);
    const id = await client.xadd(stream, '*', 'version', '7', 'data', payload);
    expect(id).toMatch(/^\d+-\d+$/);

    const read = (await client.xreadgroupBuffer(
      'GROUP',
      group,
      'c1',
      'COUNT',
      10,
      'STREAMS',
      stream,
      '>',
    )) as [Buffer, [Buffer, Buffer[]][]][];
    expect(read).toHaveLength(1);
    const [[entryId, fields]] = read[0][1];
    expect(entryId.toString()).toBe(id);
    expect(fields[0].toString()).toBe('version');
    expect(fields[1].toString()).toBe('7');
    const data = fields[3];
    expect(
      Array.from(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))),
    ).toEqual([1.5, -2, 3.25]);

    // Read but not acknowledged: pending for c1, and not handed out again to '>' readers.
    expect(((await client.xpending(stream, group)) as [number])[0]).toBe(1);
    expect(await client.xreadgroup('GROUP', group, 'c2', 'COUNT', 10, 'STREAMS', stream, '>')).toBeNull();
    expect(await client.xack(stream, group, id as string)).toBe(1);
    expect(((await client.xpending(stream, group)) as [number])[0]).toBe(0);
    expect(await client.xack(stream, group, id as string)).toBe(0); // acknowledging twice does nothing
  });

  it('refuses connections without the password or with a wrong one', async () => {
    // ioredis opens with HELLO; without the password the server answers NOAUTH and ioredis gives up the connection.
    const anonymous = server.client({ password: undefined, lazyConnect: true, retryStrategy: () => null });
    anonymous.on('error', () => {});
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();

    const errors: string[] = [];
    const wrong = server.client({
      password: 'not-the-password',
      lazyConnect: true,
      retryStrategy: () => null,
    });
    wrong.on('error', (error: Error) => errors.push(error.message));
    await expect(wrong.connect()).rejects.toThrow();
    expect(errors.join('\n')).toMatch(/WRONGPASS/);
    wrong.disconnect();

    // Whatever the client: the server refuses every command until AUTH succeeds (raw RESP on a socket).
    const replies = await rawSession(server.port, [
      'XADD test:foreign * data x',
      'AUTH not-the-password',
      'PING',
    ]);
    expect(replies).toEqual([
      expect.stringMatching(/^-NOAUTH/),
      expect.stringMatching(/^-WRONGPASS/),
      expect.stringMatching(/^-NOAUTH/),
    ]);
    expect(await client.exists('test:foreign')).toBe(0);
  });

  it('keeps the password off every command line', () => {
    expect(server.commandLine.join(' ')).toContain('redis-server');
    expect(server.commandLine.some((arg) => arg.includes(server.password))).toBe(false);
    if (existsSync(`/proc/${server.pid}/cmdline`)) {
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').includes(server.password)).toBe(false);
    }
  });
});

describe.skipIf(!available)('starting and stopping', () => {
  it('stop() ends the server, frees the port and removes the directory; twice is fine', async () => {
    const server = await startRedisServer();
    expect(alive(server.pid)).toBe(true);
    expect(existsSync(server.dir)).toBe(true);
    expect(await accepts(server.port)).toBe(true);
    await server.stop();
    expect(alive(server.pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    expect(await accepts(server.port)).toBe(false);
    await server.stop();
  });

  it('two servers get different ports and passwords', async () => {
    const a = await startRedisServer();
    try {
      const b = await startRedisServer();
      try {
        expect(a.port).not.toBe(b.port);
        expect(a.password === b.password).toBe(false);
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop();
    }
  });

  it('the watchdog stops the server and removes its directory when the test process goes away without stop()', async () => {
    const server = await startRedisServer();
    try {
      server.abandon();
      const deadline = Date.now() + 5000;
      while ((alive(server.pid) || existsSync(server.dir)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(alive(server.pid)).toBe(false);
      expect(existsSync(server.dir)).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('a server that fails to start is reported with its output, the password redacted, and cleaned up', async () => {
    const password = 'secret-' + 'x'.repeat(20);
    // An unknown directive makes redis-server quote the offending line (here holding the password) and exit.
    const failure = startRedisServer({ password, config: [`no-such-directive ${password}`] });
    await expect(failure).rejects.toThrow(
      /redis-server stopped before answering PING: .*no-such-directive <password>/s,
    );
    await expect(failure).rejects.not.toThrow(password);
  });
});
