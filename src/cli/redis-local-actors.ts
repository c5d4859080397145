/**
 * `policygrad train --redis URL --run-id R --actors K`: K actors on this machine that join the run through Redis,
 * as `policygrad actor --redis URL --run-id R` started by hand would. They are child processes of this CLI's own
 * `actor` command rather than worker threads: each is then exactly the command a user runs elsewhere (its
 * validation, TLS files, signals and exit), and a crash in one cannot take the learner down.
 *
 * The password never goes on a child's command line (other users can read it: `ps`, /proc/PID/cmdline): the URL
 * is given without it and the password in the child's `POLICYGRAD_REDIS_PASSWORD`. The children exit on their
 * own when the learner marks the run done; `stop()` (learner error, Ctrl-C) sends them SIGTERM, then SIGKILL
 * after a grace period; and each watches its IPC channel to this process, which closes when the learner dies
 * in any way (even SIGKILL), so none is left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PASSWORD_VARIABLE, type RedisTlsFlags, TLS_FLAGS, tlsFilesOf } from '../node/redis-connection.js';
import { PolicygradError } from '../errors.js';

/** How long actors get to finish their current chunk after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** How long actors get to see the run marked done and exit before they are stopped. */
const EXIT_GRACE_MS = 10_000;

export interface LocalActorsOptions extends RedisTlsFlags {
  redis: string;
  runId: string;
  import?: string[];
}

/** The `policygrad actor …` arguments and environment for one child: the URL without its password. */
export function actorCommand(
  options: LocalActorsOptions,
  env: NodeJS.ProcessEnv = process.env,
): { args: string[]; env: NodeJS.ProcessEnv } {
  const url = new URL(options.redis); // parsed (and checked) by the learner already
  const password =
    env[PASSWORD_VARIABLE] ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  url.password = '';
  const files = tlsFilesOf(options);
  const tls = (Object.keys(TLS_FLAGS) as (keyof typeof TLS_FLAGS)[]).flatMap((key) =>
    files[key] === undefined ? [] : [TLS_FLAGS[key], files[key]],
  );
  const imports = (options.import ?? []).flatMap((module) => ['--import', module]);
  return {
    args: ['actor', '--redis', url.toString(), '--run-id', options.runId, ...tls, ...imports],
    env: { ...env, ...(password === undefined ? {} : { [PASSWORD_VARIABLE]: password }) },
  };
}

/** This CLI's entry point (dist/cli/main.js, next to this file once built). */
function cliScript(): string {
  const script = fileURLToPath(new URL('./main.js', import.meta.url));
  if (!existsSync(script)) {
    throw new PolicygradError(`--actors with --redis starts ${script}, which is missing: run npm run build`);
  }
  return script;
}

export class LocalRedisActors {
  private readonly children: ChildProcess[] = [];
  private readonly exited: Promise<void>[] = [];

  /** Starts `count` actors; their output lines go to `log`, prefixed `[actor i]`. */
  constructor(count: number, options: LocalActorsOptions, log: (line: string) => void) {
    const { args, env } = actorCommand(options);
    const script = cliScript();
    for (let i = 1; i <= count; i++) {
      const child = spawn(process.execPath, [script, ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child.channel?.unref(); // the learner's exit is not held up by the channel
      const prefix = `[actor ${i}] `;
      for (const stream of [child.stdout, child.stderr]) {
        let pending = '';
        stream?.on('data', (data: Buffer) => {
          const lines = (pending + data.toString()).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) if (line !== '') log(prefix + line);
        });
        stream?.on('end', () => pending !== '' && log(prefix + pending));
      }
      this.exited.push(
        new Promise((resolve) =>
          child.on('exit', (code, signal) => {
            if (code !== 0 && signal === null) log(`${prefix}exited with code ${String(code)}`);
            resolve();
          }),
        ),
      );
      child.on('error', (error) => log(`${prefix}could not start: ${error.message}`));
      this.children.push(child);
    }
  }

  /** The children's process ids (tests read their command lines). */
  get pids(): number[] {
    return this.children.flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  /**
   * Waits for the actors to exit: at once (`finished` false: learner error or signal) with SIGTERM, else after
   * they had time to see the run done; SIGKILL for any still running after the grace period.
   */
  async stop(finished: boolean): Promise<void> {
    const all = Promise.all(this.exited);
    const within = (ms: number) =>
      Promise.race([all.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false).unref())]);
    if (!finished || !(await within(EXIT_GRACE_MS))) {
      for (const child of this.running()) child.kill('SIGTERM');
      if (!(await within(STOP_GRACE_MS))) for (const child of this.running()) child.kill('SIGKILL');
      await all;
    }
  }

  private running(): ChildProcess[] {
    return this.children.filter((c) => c.exitCode === null && c.signalCode === null);
  }
}
