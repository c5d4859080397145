/**
 * `--import <module>` (repeatable, like `node --import`): modules imported before a command does anything else,
 * so the environments they `register` exist, here and (through the algorithm's `envModules`) in every worker
 * thread. A run records them in its config.json (`imports`, as file URLs or package names), and `eval` and
 * `train --resume` of that run import them again.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describeValue, PolicygradError } from '../errors.js';
import { importEnvModules } from '../node/env-modules.js';
import { configKeysOf } from './algo-schemas.js';

/** The commands that make or list environments, and so take `--import`. */
const COMMANDS_WITH_IMPORTS = ['train', 'actor', 'eval', 'demo', 'variance', 'list', 'sweep', 'worker'];

/**
 * Adds `--import` to the commands that make environments and imports the modules before their action runs.
 * After the hook, the command's `import` option holds the resolved specifiers: those given, or else those the
 * run it continues or evaluates recorded.
 */
export function installImports(program: Command): void {
  for (const command of program.commands) {
    if (!COMMANDS_WITH_IMPORTS.includes(command.name())) continue;
    command.option(
      '--import <module>',
      'import a module first, e.g. one that registers your environments (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [],
    );
    command.hook('preAction', async (_program, action) => {
      const given = (action.opts().import as string[] | undefined) ?? [];
      const runDir = given.length > 0 ? null : recordedRunOf(action);
      // A run's recorded modules, unless --import names them anew (a moved file, another machine).
      const resolved =
        runDir === null
          ? await importEnvModules(given, (s, url) => `--import ${s}${s === url ? '' : ` (${url})`}`)
          : await importRecorded(runDir);
      action.setOptionValue('import', [...new Set(resolved)]);
    });
  }
}

async function importRecorded(runDir: string): Promise<string[]> {
  try {
    return await importEnvModules(recordedImports(runDir), (s) => `${runDir} was trained with --import ${s}`);
  } catch (error) {
    throw new PolicygradError(`${(error as Error).message} (if it moved, pass --import with its new path)`);
  }
}

/** The run directory whose recorded imports this command needs: `train --resume DIR`, `eval DIR`, `--policy DIR`. */
function recordedRunOf(action: Command): string | null {
  const options = action.opts();
  const candidate =
    action.name() === 'train'
      ? options.resume
      : action.name() === 'eval'
        ? action.args[0]
        : action.name() === 'variance'
          ? options.policy
          : undefined;
  if (typeof candidate !== 'string') return null;
  return existsSync(join(candidate, 'config.json')) && statSync(candidate).isDirectory() ? candidate : null;
}

/** The `imports` a run's config.json records (none for runs from before `--import`). */
export function recordedImports(runDir: string): string[] {
  const file = join(runDir, 'config.json');
  let imports: unknown;
  try {
    imports = (JSON.parse(readFileSync(file, 'utf8')) as { imports?: unknown }).imports;
  } catch {
    return []; // an unreadable config.json is reported by the command itself, with its own message
  }
  if (imports === undefined) return [];
  if (!Array.isArray(imports) || !imports.every((m) => typeof m === 'string' && m !== '')) {
    throw new PolicygradError(
      `${file}: invalid imports ${describeValue(imports)}: expected a list of module URLs or package names`,
    );
  }
  return imports as string[];
}

/** `{ envModules }` for an algorithm config, when the algorithm starts worker threads that need the imports. */
export function envModulesFor(algo: string, imports: readonly string[]): { envModules?: string[] } {
  return imports.length > 0 && configKeysOf(algo).has('envModules') ? { envModules: [...imports] } : {};
}
