/** Import scanning for the architecture rules: specifiers, the module a file belongs to, cycles. */

// `import … from 'x'`, `import 'x'`, `export … from 'x'`, `import('x')`; comments are stripped first.
const SPECIFIER = /(?:^|[;\n])\s*(?:import|export)\s+(type\s)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export interface ImportRef {
  specifier: string;
  /** `import type` / `export type`: erased from the emitted code (verbatimModuleSyntax), so never a load-time cycle. */
  typeOnly: boolean;
}

export function importsOf(source: string): ImportRef[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(SPECIFIER)].map((m) => ({ specifier: (m[2] ?? m[3])!, typeOnly: m[1] !== undefined }));
}

/**
 * The folder a file's module is: `src/<name>`, `connectors/<crm>` (or `connectors` for the contract at its
 * root), `sandboxes/<name>`; null outside them (bench/, tests).
 */
export function moduleOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] === 'src' || parts[0] === 'sandboxes' || parts[0] === 'connectors') return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
  return null;
}

/** Every cycle, each as the files on it (a depth-first search that reports a back edge once per entry point). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep) && graph.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}
