/**
 * Checks, before any work, that a command can write where it was told to: one line naming the path and the
 * problem (missing directory, a file where a directory is expected, no write permission) instead of a file-system
 * stack trace after minutes of work.
 */
import { closeSync, existsSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PolicygradError } from '../errors.js';

/** `file` can be created or replaced: its directory exists, is a directory and is writable; it is no directory. */
export function checkWritableFile(file: string, what: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new PolicygradError(`${what} ${file} is a directory; expected a file name`);
  }
  const dir = dirname(file);
  if (!existsSync(dir)) {
    throw new PolicygradError(
      `${what} ${file}: the directory ${dir} does not exist (create it first: mkdir -p ${dir})`,
    );
  }
  checkWritableDirectory(dir, `${what} ${file}:`);
}

/**
 * A directory that will be created (with its missing parents) or written into: the nearest existing one of it
 * and its ancestors must be a writable directory.
 */
export function checkCreatableDirectory(dir: string, what: string): void {
  let existing = resolve(dir);
  while (!existsSync(existing)) existing = dirname(existing);
  checkWritableDirectory(existing, `${what} ${dir}:`);
}

function checkWritableDirectory(dir: string, prefix: string): void {
  if (!statSync(dir).isDirectory()) {
    throw new PolicygradError(`${prefix} ${dir} is a file, not a directory`);
  }
  // Creating a file is the only reliable test (permission bits do not bind root; read-only mounts; ACLs).
  const probe = join(dir, `.policygrad-write-test-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'refused';
    throw new PolicygradError(`${prefix} the directory ${dir} is not writable (${reason})`);
  }
  unlinkSync(probe);
}
