/**
 * The architecture's dependency rules (docs/architecture.md, issue 16), checked over every import and re-export
 * of the production code. A stand-in for dependency-cruiser, which cannot parse the sources of TypeScript 7
 * (it needs the compiler's JS API, which 7 no longer ships).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importsOf, moduleOf } from './scan.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PRODUCTION = ['src', 'connectors', 'sandboxes', 'bench'];

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every import of a project file (relative specifiers resolved; `.js` names the `.ts` source). */
const edges = PRODUCTION.flatMap(filesUnder).flatMap((from) =>
  importsOf(readFileSync(join(ROOT, from), 'utf8'))
    .filter((i) => i.specifier.startsWith('.'))
    .map((i) => ({ from, to: relative(ROOT, resolve(ROOT, dirname(from), i.specifier)).replace(/\.js$/, '.ts'), typeOnly: i.typeOnly })),
);
/** file → the files it loads at run time. */
const graph = new Map<string, string[]>(PRODUCTION.flatMap(filesUnder).map((f) => [f, []]));
for (const e of edges) if (!e.typeOnly) graph.get(e.from)!.push(e.to);
const broken = (rule: (from: string, to: string) => boolean) => edges.filter(({ from, to }) => rule(from, to)).map(({ from, to }) => `${from} → ${to}`);

describe('architecture', () => {
  it('sees the code it checks (the scan finds the imports it is meant to judge)', () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get('src/cli/service.ts')).toContain('sandboxes/index.ts');
    expect(edges).toContainEqual({ from: 'src/sync/registration.ts', to: 'src/mapping/index.ts', typeOnly: true });
  });

  it('has no import cycle outside bench/', () => {
    const prod = new Map([...graph].filter(([f]) => !f.startsWith('bench/')));
    expect(findCycles(prod)).toEqual([]);
  });

  it('domain/ imports nothing of the project', () => {
    expect(broken((from, to) => from.startsWith('src/domain/') && !to.startsWith('src/domain/'))).toEqual([]);
  });

  it('runtime/ imports only domain/', () => {
    expect(broken((from, to) => from.startsWith('src/runtime/') && !to.startsWith('src/runtime/') && !to.startsWith('src/domain/'))).toEqual([]);
  });

  it('referral-store/ uses only domain/ and runtime/ (a separate service in the same package)', () => {
    const allowed = (to: string) => ['src/referral-store/', 'src/domain/', 'src/runtime/'].some((p) => to.startsWith(p));
    expect(broken((from, to) => from.startsWith('src/referral-store/') && !allowed(to))).toEqual([]);
  });

  it('only src/cli/ and bench/ (and tests) import sandboxes/', () => {
    const allowed = (from: string) => from.startsWith('src/cli/') || from.startsWith('bench/') || from.startsWith('sandboxes/');
    expect(broken((from, to) => to.startsWith('sandboxes/') && !allowed(from))).toEqual([]);
  });

  it('reads process.env only in runtime/env.ts and the CLI entry', () => {
    const readers = PRODUCTION.flatMap(filesUnder).filter((f) => /\bprocess\.env\b/.test(readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
    expect(readers.filter((f) => !f.startsWith('bench/') && f !== 'src/runtime/env.ts' && f !== 'src/cli/main.ts')).toEqual([]);
  });

  it('each folder is entered through its index.ts', () => {
    expect(
      broken((from, to) => {
        const target = moduleOf(to);
        return target !== null && target !== moduleOf(from) && to !== `${target}/index.ts`;
      }),
    ).toEqual([]);
  });
});

describe('the import scanner', () => {
  it('reads imports, re-exports, dynamic imports and type-only imports, but not comments', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export * from './c.js';",
      "export type { D } from './d.js';",
      "import './side-effect.js';",
      "const e = await import('./e.js');",
      "// import { f } from './f.js';",
      "/* export * from './g.js'; */",
    ].join('\n');
    expect(importsOf(source)).toEqual([
      { specifier: './a.js', typeOnly: false },
      { specifier: '../b.js', typeOnly: true },
      { specifier: './c.js', typeOnly: false },
      { specifier: './d.js', typeOnly: true },
      { specifier: './side-effect.js', typeOnly: false },
      { specifier: './e.js', typeOnly: false },
    ]);
  });

  it('finds a cycle and says which files are on it', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('names the folder a file belongs to', () => {
    expect([moduleOf('src/sync/engine.ts'), moduleOf('connectors/connector.ts'), moduleOf('sandboxes/salesforce/routes/auth.ts'), moduleOf('bench/run.ts')]).toEqual([
      'src/sync',
      'connectors',
      'sandboxes/salesforce',
      null,
    ]);
  });
});
