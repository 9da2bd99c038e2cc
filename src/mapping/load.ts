/** Reading mapping files: every problem at once, each with file:line:column, the key path and a hint. */
import { readFileSync } from 'node:fs';
import { ConfigError, formatProblem, validateYaml, type LocatedProblem } from '../runtime/index.js';
import { compileMapping, type CompiledMapping } from './compile.js';
import { mappingSchema, type Mapping } from './schema.js';

export function validateMappingText(text: string, file: string): { ok: true; mapping: Mapping } | { ok: false; problems: LocatedProblem[] } {
  const r = validateYaml(text, file, mappingSchema);
  return r.ok ? { ok: true, mapping: r.value } : r;
}

export function loadMapping(file: string): Mapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read mapping ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file);
  }
  const r = validateMappingText(text, file);
  if (r.ok) return r.mapping;
  throw new ConfigError(`mapping ${file} is invalid:\n${r.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, file, r.problems);
}

export function loadCompiledMapping(file: string): CompiledMapping {
  return compileMapping(loadMapping(file));
}
