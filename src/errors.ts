/**
 * Errors a user can act on. Every error thrown for a user mistake is a `PolicygradError`: its message says what
 * was wrong, which value, and what is accepted. The CLI prints these messages without a stack trace.
 */
export class PolicygradError extends Error {
  override name = 'PolicygradError';
}

/** An action that the action space does not accept (wrong type, length, non-integer, out of range, NaN). */
export class InvalidActionError extends PolicygradError {
  override name = 'InvalidActionError';
}

/** `step()` called before `reset()`, or another call made in the wrong order. */
export class ResetNeededError extends PolicygradError {
  override name = 'ResetNeededError';
}

/** An unknown environment id, or options an environment does not accept. */
export class EnvConfigError extends PolicygradError {
  override name = 'EnvConfigError';
}

/** Formats a value for an error message: short, and explicit about NaN, ±Infinity and typed arrays. */
export function describeValue(value: unknown, maxItems = 8): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const items = Array.from(value as unknown as ArrayLike<number>);
    return `${value.constructor.name}[${formatItems(items, maxItems)}]`;
  }
  if (Array.isArray(value)) return `[${formatItems(value, maxItems)}]`;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

function formatItems(items: readonly unknown[], maxItems: number): string {
  const shown = items.slice(0, maxItems).map((x) => describeValue(x));
  if (items.length > maxItems) shown.push(`… (${items.length} items)`);
  return shown.join(', ');
}

/**
 * One line for optional peer dependencies that are not installed (package.json `peerDependenciesMeta`): what
 * needs them, and the command that installs them (ARCHITECTURE.md § "Install size").
 */
export function missingPackagesError(purpose: string, packages: readonly string[]): PolicygradError {
  const plural = packages.length > 1 ? 's' : '';
  return new PolicygradError(
    `${purpose} needs the optional package${plural} ${packages.join(', ')}, not installed: npm install ${packages.join(' ')}`,
  );
}

/** Whether an `import()` or `require.resolve` failed because a package (or a file of one) is not installed. */
export function isNotInstalled(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
