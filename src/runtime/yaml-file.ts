/**
 * Parse a YAML file with zod and report every problem as `file:line:col key.path: expected …`, so an admin can
 * jump straight to the mistake. Shared by config loading and mapping validation.
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type Problem } from './errors.js';

export interface LocatedProblem extends Problem {
  file: string;
  line: number;
  column: number;
  hint?: string;
}

export function formatProblem(p: LocatedProblem): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  return `${where} ${p.path || '(root)'}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}

/** Find the source position of a key path in a parsed YAML document (the nearest existing ancestor). */
export function locate(
  doc: Document,
  counter: LineCounter,
  path: readonly PropertyKey[],
  /** Point at the last key itself rather than its value (for an unknown key). */
  atKey = false,
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let offset = 0;
  const rangeOf = (n: unknown): number | undefined => (n as { range?: [number, number] })?.range?.[0];
  offset = rangeOf(node) ?? 0;
  for (const [i, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === String(key));
      if (!pair) break;
      offset = rangeOf(pair.key) ?? offset;
      node = pair.value;
      // Point at the value when it is a scalar (e.g. a wrong type); keep the key's position for a missing child.
      const last = i === path.length - 1;
      if (node && !isMap(node) && !isSeq(node) && !(atKey && last)) offset = rangeOf(node) ?? offset;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)];
      if (item === undefined) break;
      node = item;
      offset = rangeOf(item) ?? offset;
    } else break;
  }
  const pos = counter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

export function pathToString(path: readonly PropertyKey[]): string {
  return path.map((k) => String(k)).join('.');
}

export interface ParsedYaml {
  doc: Document;
  counter: LineCounter;
  value: unknown;
  problems: LocatedProblem[];
}

/** Parse YAML text; syntax errors become located problems (all of them, not just the first). */
export function parseYamlText(text: string, file: string): ParsedYaml {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problems: LocatedProblem[] = doc.errors.map((e) => {
    const pos = counter.linePos(e.pos[0]);
    return {
      file,
      line: pos.line,
      column: pos.col,
      path: '',
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
    };
  });
  return { doc, counter, value: problems.length ? undefined : doc.toJS(), problems };
}

function zodMessage(issue: z.core.$ZodIssue): { message: string; hint?: string } {
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
        hint: 'check the spelling against the README',
      };
    case 'invalid_type':
      return { message: `expected ${issue.expected}${'input' in issue && issue.input === undefined ? ' (missing)' : ''}` };
    case 'invalid_value':
      return { message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { message: issue.message };
  }
}

/**
 * A value that fits none of a union's shapes: report the shape it came closest to (the branch whose issues go
 * deepest), so "convert: dollars" says "expected one of text, money…" rather than "invalid input".
 */
function unwrapUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || !('errors' in issue) || issue.errors.length === 0) return [issue];
    const depth = (branch: readonly z.core.$ZodIssue[]) => Math.max(...branch.map((i) => i.path.length));
    const best = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0]!;
    if (depth(best) === 0) return [issue];
    return unwrapUnions(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue));
  });
}

/** Turn zod issues into located problems against a parsed document. */
export function locateIssues(parsed: ParsedYaml, file: string, rawIssues: readonly z.core.$ZodIssue[]): LocatedProblem[] {
  return unwrapUnions(rawIssues).map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const { line, column } = locate(parsed.doc, parsed.counter, path, issue.code === 'unrecognized_keys');
    const { message, hint } = zodMessage(issue);
    return { file, line, column, path: pathToString(issue.path), message, ...(hint ? { hint } : {}) };
  });
}

/** Validate YAML text against a schema, collecting every problem. */
export function validateYaml<S extends z.ZodType>(text: string, file: string, schema: S): { ok: true; value: z.infer<S> } | { ok: false; problems: LocatedProblem[] } {
  const parsed = parseYamlText(text, file);
  if (parsed.problems.length) return { ok: false, problems: parsed.problems };
  const result = schema.safeParse(parsed.value ?? {});
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: locateIssues(parsed, file, result.error.issues) };
}

/** Read and validate a YAML file; throws a ConfigError listing every problem with its position. */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S, what: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, file);
  }
  const result = validateYaml(text, file, schema);
  if (result.ok) return result.value;
  throw new ConfigError(`${what} ${file} is invalid:\n${result.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, file, result.problems);
}
