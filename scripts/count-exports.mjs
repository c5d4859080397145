// Counts the names each package entry exports, as the TypeScript compiler sees them (runtime values and
// type-only names), for issue 15's curated-package step: `node scripts/count-exports.mjs [--list] [entry.ts …]`.
// Default entries: the package root (src/index.ts, and src/node.ts that Node gets), policygrad/inference and
// policygrad/internal. test/exports.test.ts uses `entryExports` to pin the root lists.
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** For each entry file, its exported names split into runtime values and type-only names, each sorted. */
export function entryExports(entries) {
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const isValue = (symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return (target.flags & ts.SymbolFlags.Value) !== 0;
  };
  return entries.map((entry) => {
    const source = program.getSourceFile(entry);
    if (source === undefined) throw new Error(`${entry}: not found`);
    const module = checker.getSymbolAtLocation(source);
    const names = module === undefined ? [] : checker.getExportsOfModule(module);
    const values = names
      .filter(isValue)
      .map((s) => s.name)
      .sort();
    const types = names
      .filter((s) => !isValue(s))
      .map((s) => s.name)
      .sort();
    return { entry, values, types };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const list = args.includes('--list');
  const given = args.filter((a) => a !== '--list');
  const entries =
    given.length > 0 ? given : ['src/index.ts', 'src/node.ts', 'src/inference.ts', 'src/internal.ts'];
  for (const { entry, values, types } of entryExports(entries)) {
    const total = values.length + types.length;
    console.log(`${entry}: ${total} names (${values.length} values, ${types.length} type-only)`);
    if (list) {
      console.log(`  values: ${values.join(' ')}`);
      console.log(`  types: ${types.join(' ')}`);
    }
  }
}
