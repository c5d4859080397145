/**
 * Modules that register a user's environments, imported in this thread and in every worker thread (Node).
 * Registrations live in one thread's module registry, so a worker only knows the envs its own imports register.
 *
 * Specifiers are resolved once, in the thread that starts the work, as `node --import` does: a path (absolute, or
 * `./`/`../` relative to the working directory) becomes a file URL, so that a worker script elsewhere on disk
 * imports the same file; URLs and package names are kept as they are.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PolicygradError } from '../errors.js';
import { setThreadActivity } from './watched-worker.js';

/** A URL scheme such as `file:`, `data:` or `node:` (but not a Windows drive letter such as `C:`). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:/i;

export function resolveEnvModule(specifier: string, cwd: string = process.cwd()): string {
  if (URL_SCHEME.test(specifier)) return specifier;
  const isPath =
    isAbsolute(specifier) || specifier === '.' || specifier === '..' || /^\.\.?[\\/]/.test(specifier);
  return isPath ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
}

/**
 * Imports each module in order (after resolving it); a module that is missing or throws becomes one line:
 * `describe(specifier)` (where it came from, e.g. "--import ./my-env.js"), then why.
 */
export async function importEnvModules(
  specifiers: readonly string[],
  describe: (specifier: string, url: string) => string = (s, url) => `cannot import ${url}`,
): Promise<string[]> {
  const resolved: string[] = [];
  for (const specifier of specifiers) {
    const url = resolveEnvModule(specifier);
    setThreadActivity(`importing ${url}`); // in a worker thread, named if the module ends the thread
    try {
      await import(url);
    } catch (error) {
      throw new PolicygradError(`${describe(specifier, url)}: ${whyImportFailed(url, error)}`);
    } finally {
      setThreadActivity(null);
    }
    resolved.push(url);
  }
  return resolved;
}

/**
 * In a worker thread: imports the resolved `urls` in order; returns the first failure as one line
 * (`describeImportFailure`), else null. A module that ends the thread instead (`process.exit`, an error thrown
 * later) is named by the thread's watcher (src/node/watched-worker.ts).
 */
export async function importInWorker(urls: readonly string[]): Promise<string | null> {
  try {
    for (const url of urls) {
      setThreadActivity(`importing ${url}`);
      try {
        await import(url);
      } catch (error) {
        return describeImportFailure(url, error);
      }
    }
    return null;
  } finally {
    setThreadActivity(null);
  }
}

/** One line for a worker thread: which module, and why importing it failed. */
export function describeImportFailure(url: string, error: unknown): string {
  return `cannot import ${url}: ${whyImportFailed(url, error)}`;
}

/** Why importing `url` failed: not found, or what the module threw while it ran. */
function whyImportFailed(url: string, error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
    if (url.startsWith('file:') && message.includes(fileURLToPath(url))) return 'no such file';
    if (!URL_SCHEME.test(url) && message.includes(`'${url}'`)) {
      return `no package of that name (a file needs a path: ./${url})`;
    }
    return message;
  }
  return `the module threw ${error instanceof Error ? error.name : 'a value'}: ${message}`;
}
