/**
 * SOSL search (`GET /search?q=FIND {…} RETURNING …`) over the string fields of the returned objects, and the
 * recently-viewed list (`/recent`, always empty: the integration user views nothing).
 */
import type { FastifyInstance } from 'fastify';
import { SalesforceApiError, SCHEMA } from '../org.js';
import { renderRow } from '../query-exec.js';
import { handle, type SandboxContext } from '../context.js';

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist']);

/** `FIND {term} [IN … FIELDS] [RETURNING Obj(f1, f2), Obj2] [LIMIT n]`. */
export function parseSosl(q: string): { term: RegExp; returning: { object: string; fields: string[] }[]; limit: number } {
  const m = /^\s*FIND\s*\{((?:[^}\\]|\\.)*)\}(.*)$/is.exec(q);
  if (!m) throw new SalesforceApiError(400, 'MALFORMED_SEARCH', 'No search term found. The search term must be enclosed in braces: FIND {term}');
  const raw = m[1]!.replace(/\\(.)/g, '$1').replace(/^"|"$/g, '').trim();
  if (raw.replace(/[*?]/g, '').length < 2) throw new SalesforceApiError(400, 'MALFORMED_SEARCH', 'search term must be longer than one character');
  const body = raw
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const rest = m[2]!;
  const ret = /RETURNING\s+(.+?)(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(rest);
  const limitOnly = /LIMIT\s+(\d+)\s*$/i.exec(rest);
  const returning = ret
    ? [...ret[1]!.matchAll(/([A-Za-z_][\w]*)\s*(?:\(([^)]*)\))?/g)].map((x) => ({
        object: x[1]!,
        fields: x[2]
          ? x[2]
              .split(',')
              .map((f) => f.trim())
              .filter(Boolean)
          : ['Id'],
      }))
    : Object.keys(SCHEMA).map((object) => ({ object, fields: ['Id'] }));
  return { term: new RegExp(`\\b${body}`, 'i'), returning, limit: Number(ret?.[2] ?? limitOnly?.[1] ?? 2000) };
}

export function searchRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { org, authed } = ctx;
  const v = '/services/data/:version';
  app.get(
    `${v}/search`,
    { preHandler: authed },
    handle((req) => {
      const { version } = req.params as { version: string };
      const q = (req.query as { q?: string }).q;
      if (!q) throw new SalesforceApiError(400, 'MALFORMED_SEARCH', 'q: a SOSL search is required');
      const { term, returning, limit } = parseSosl(q);
      const searchRecords = returning.flatMap(({ object, fields }) => {
        const canonical = Object.keys(SCHEMA).find((k) => k.toLowerCase() === object.toLowerCase());
        if (!canonical) throw new SalesforceApiError(400, 'INVALID_TYPE', `sObject type '${object}' is not supported.`);
        for (const f of fields) org.fieldName(canonical, f);
        const text = SCHEMA[canonical]!.fields.filter((f) => TEXT_TYPES.has(f.type)).map((f) => f.name);
        return org
          .all(canonical)
          .filter((r) => text.some((f) => typeof r[f] === 'string' && term.test(r[f] as string)))
          .map((r) => renderRow(org, canonical, r, fields, version));
      });
      return { searchRecords: searchRecords.slice(0, limit) };
    }),
  );
  app.get(`${v}/recent`, { preHandler: authed }, async () => []);
}
