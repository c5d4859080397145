/**
 * The CLI's heavy pieces are optional peer dependencies (package.json `peerDependenciesMeta`), so a project that
 * uses policygrad as a library does not install them: Vega, Vega-Lite, resvg and the DejaVu font for `plot`, gifenc
 * for `eval --record`. The commands load them on use; when one is missing, the user gets one line naming what to
 * `npm install` and what for (ARCHITECTURE.md § "Install size"). A clone's `npm ci` has them all (dev dependencies).
 */
import { createRequire } from 'node:module';
import { isNotInstalled, missingPackagesError } from '../errors.js';

/** Where packages come from: Node's resolution by default; tests pass one that fails like a missing package. */
export interface PackageSource {
  /** `import(specifier)`: a package's JavaScript. */
  import(specifier: string): Promise<unknown>;
  /** The path of a file a package ships (a font, a WebAssembly binary). */
  resolve(specifier: string): string;
}

const require = createRequire(import.meta.url);
export const installedPackages: PackageSource = {
  import: (specifier) => import(specifier),
  resolve: (specifier) => require.resolve(specifier),
};

/** The package a specifier names ('@resvg/resvg-wasm/index_bg.wasm' → '@resvg/resvg-wasm'). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

/**
 * What `purpose` needs: each of `imports` imported, each of `files` resolved to its path, in order. Throws one
 * line naming every package that is not installed (`missingPackagesError`); any other failure as it is.
 */
export async function loadOptional(
  purpose: string,
  { imports = [], files = [] }: { imports?: readonly string[]; files?: readonly string[] },
  source: PackageSource = installedPackages,
): Promise<{ modules: unknown[]; paths: string[] }> {
  const missing = new Set<string>();
  const absent = (specifier: string, error: unknown) => {
    if (!isNotInstalled(error)) throw error;
    missing.add(packageOf(specifier));
  };
  const modules = await Promise.all(
    imports.map((specifier) => source.import(specifier).catch((error: unknown) => absent(specifier, error))),
  );
  const paths = files.map((specifier) => {
    try {
      return source.resolve(specifier);
    } catch (error) {
      absent(specifier, error);
      return '';
    }
  });
  if (missing.size > 0) throw missingPackagesError(purpose, [...missing]);
  return { modules, paths };
}
