// @ts-check
/**
 * The layering rule of src/ (ARCHITECTURE.md § "Layers and who may import whom"): every import, re-export and
 * literal dynamic import() of a file under src/ is resolved to the file it names and checked against the table
 * below. Resolved paths, not specifier patterns, because the same specifier means different layers in different
 * folders ('./a3c.js' is core in src/algos but a Node adapter in src/node).
 *
 * It reports: a Node built-in in a browser-safe file; an import of a layer the importing layer may not use (the
 * core never reaches up to adapters, the CLI or the barrels); a package barrel (src/index.ts, src/node.ts) or
 * another folder's index.ts imported from inside src/; a package the browser-safe core has not been allowed (the
 * library's install size is a budget). Known violations are listed per file and per target in the rule's
 * `exceptions` option, with the reason; an exception that no longer matches an import is reported, so the list
 * only shrinks.
 */
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Each file of src/ belongs to the first layer whose pattern matches its path (relative to the repo root). */
export const LAYERS = /** @type {const} */ ([
  ['core-barrel', /^src\/index\.ts$/],
  ['node-barrel', /^src\/node\.ts$/],
  ['internal-barrel', /^src\/internal\.ts$/],
  ['internal-node-barrel', /^src\/internal-node\.ts$/],
  ['shared', /^src\/(errors|rng|options|encoding|inference|text|version)\.ts$/],
  ['nn', /^src\/nn\//],
  ['envs', /^src\/envs\//],
  ['estimators', /^src\/estimators\//],
  ['policies', /^src\/policies\//],
  ['rollouts', /^src\/rollouts\//],
  ['algos', /^src\/algos\//],
  ['adapters', /^src\/node\//],
  ['cli', /^src\/cli\//],
  ['dashboard', /^src\/dashboard\//],
]);

const CORE = ['shared', 'nn', 'envs', 'estimators', 'policies', 'rollouts', 'algos'];

/** Which layers each layer may import (its own included). Data flows one way: cli → adapters → algos → … */
export const MAY_IMPORT = {
  shared: ['shared'],
  nn: ['shared', 'nn'],
  envs: ['shared', 'envs'],
  estimators: ['shared', 'nn', 'estimators'],
  policies: ['shared', 'nn', 'envs', 'policies'],
  rollouts: ['shared', 'envs', 'estimators', 'policies', 'rollouts'],
  algos: ['shared', 'nn', 'envs', 'estimators', 'policies', 'rollouts', 'algos'],
  adapters: [...CORE, 'adapters'],
  cli: [...CORE, 'adapters', 'cli', 'dashboard'],
  dashboard: ['dashboard'],
  'core-barrel': CORE,
  'node-barrel': [...CORE, 'adapters', 'core-barrel'],
  'internal-barrel': [...CORE, 'core-barrel'],
  'internal-node-barrel': [...CORE, 'adapters', 'core-barrel', 'node-barrel', 'internal-barrel'],
};

/** The package entries (src/index.ts, src/node.ts, src/internal.ts, src/internal-node.ts): only each other's importers. */
const BARRELS = ['core-barrel', 'node-barrel', 'internal-barrel', 'internal-node-barrel'];

/** Layers that must run in a browser: no Node built-ins, and only the packages listed here. */
export const BROWSER_PACKAGES = {
  shared: ['zod', 'pure-rand'],
  nn: [],
  envs: ['zod', 'planck', 'mujoco-js'],
  estimators: [],
  policies: ['zod'],
  rollouts: [],
  algos: ['zod'],
  'core-barrel': [],
  'internal-barrel': [],
  dashboard: ['uplot'],
};

/** The repo-relative posix path of `file`. */
function repoPath(file) {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

function layerOf(file) {
  for (const [name, pattern] of LAYERS) if (pattern.test(file)) return name;
  return null;
}

/** The package a bare specifier names ('@scope/name' or 'name'). */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** @type {import('eslint').Rule.RuleModule} */
export const layeringRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layers of src/ (ARCHITECTURE.md)' },
    schema: [
      {
        type: 'object',
        properties: { exceptions: { type: 'object' } },
        additionalProperties: false,
      },
    ],
    messages: {
      nodeBuiltin:
        "'{{specifier}}' is a Node built-in, and {{file}} is browser-safe ({{layer}}): keep Node in src/node adapters or src/cli (ARCHITECTURE.md § Platform line)",
      package:
        "'{{name}}' is not a package the browser-safe layer '{{layer}}' may use (allowed: {{allowed}}): every core dependency counts against the library's install size (ARCHITECTURE.md § Layers)",
      barrel:
        '{{target}} is a package barrel: import the module that defines what you need, never the barrel, from inside src/ (ARCHITECTURE.md § Layers)',
      folderBarrel:
        "{{target}} is another folder's barrel: import the module that defines what you need (ARCHITECTURE.md § Layers)",
      layer:
        "{{layer}} may not import {{targetLayer}} ({{target}}): '{{layer}}' may import only {{allowed}} (ARCHITECTURE.md § Layers)",
      staleException:
        'the layering exception for {{file}} → {{target}} no longer matches an import: delete it from eslint.config.js',
    },
  },
  create(context) {
    const file = repoPath(context.filename);
    const layer = layerOf(file);
    if (layer === null) return {};
    /** @type {Record<string, string>} */
    const exceptions = context.options[0]?.exceptions?.[file] ?? {};
    const used = new Set();
    const browserSafe = Object.hasOwn(BROWSER_PACKAGES, layer);

    /** @param {import('estree').Node} node @param {unknown} specifier */
    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      const report = (messageId, target, data = {}) => {
        if (Object.hasOwn(exceptions, target)) {
          used.add(target);
          return;
        }
        context.report({ node, messageId, data: { file, layer, target, specifier, ...data } });
      };
      if (!specifier.startsWith('.')) {
        if (isBuiltin(specifier)) {
          if (browserSafe) report('nodeBuiltin', specifier);
        } else if (browserSafe && !BROWSER_PACKAGES[layer].includes(packageOf(specifier))) {
          const allowed = BROWSER_PACKAGES[layer].join(', ') || 'none';
          report('package', packageOf(specifier), { name: packageOf(specifier), allowed });
        }
        return;
      }
      const target = path.posix
        .normalize(path.posix.join(path.posix.dirname(file), specifier))
        .replace(/\.js$/, '.ts');
      const targetLayer = layerOf(target);
      if (BARRELS.includes(targetLayer)) {
        if (!BARRELS.includes(layer) || !MAY_IMPORT[layer].includes(targetLayer)) report('barrel', target);
        return;
      }
      // A folder's index.ts is for the folders above it (src/index.ts, src/envs/index.ts re-exporting
      // ./classic/index.js); from anywhere else it is a barrel import.
      if (/^src\/.+\/index\.ts$/.test(target) && !target.startsWith(path.posix.dirname(file) + '/')) {
        report('folderBarrel', target);
        return;
      }
      if (targetLayer !== null && !MAY_IMPORT[layer].includes(targetLayer)) {
        report('layer', target, { targetLayer, allowed: MAY_IMPORT[layer].join(', ') });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      'Program:exit'(node) {
        for (const target of Object.keys(exceptions)) {
          if (!used.has(target))
            context.report({ node, messageId: 'staleException', data: { file, target } });
        }
      },
    };
  },
};
