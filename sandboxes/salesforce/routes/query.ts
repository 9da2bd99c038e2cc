/**
 * `query` and `queryAll` with 2,000-record pages and `nextRecordsUrl` locators (`queryAll` includes soft-deleted
 * rows). Pages are rendered when asked for, so a 100,000-row result holds ids, not rendered records.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SalesforceApiError } from '../org.js';
import { runSoql, type RowRenderer } from '../query-exec.js';
import { handle, type SandboxContext } from '../context.js';

const API_PAGE = 2000;

interface Cursor {
  object: string;
  ids: string[];
  render: RowRenderer;
  includeDeleted: boolean;
}

export function queryRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { org, stats, authed } = ctx;
  const cursors = new Map<string, Cursor>();

  const page = (cur: Cursor, from: number, version: string) => {
    const slice = cur.ids.slice(from, from + API_PAGE);
    const table = org.table(cur.object);
    const records = slice.flatMap((id) => {
      const row = table.get(id);
      return row ? [cur.render(row, version)] : [];
    });
    stats.recordsServed += records.length;
    const done = from + API_PAGE >= cur.ids.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const cursorId = `01g5g${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      cursors.set(cursorId, cur);
      nextRecordsUrl = `/services/data/${version}/${cur.includeDeleted ? 'queryAll' : 'query'}/${cursorId}-${from + API_PAGE}`;
    }
    return { totalSize: cur.ids.length, done, ...(nextRecordsUrl ? { nextRecordsUrl } : {}), records };
  };

  const first = (req: FastifyRequest, includeDeleted: boolean) => {
    const { version } = req.params as { version: string };
    const q = (req.query as { q?: string }).q;
    if (!q) throw new SalesforceApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    const result = runSoql(org, q, includeDeleted);
    switch (result.kind) {
      case 'count':
        return { totalSize: result.totalSize, done: true, records: [] };
      case 'aggregate':
        return { totalSize: result.records.length, done: true, records: result.records };
      case 'rows':
        return page({ object: result.object, ids: result.ids, render: result.render, includeDeleted }, 0, version);
    }
  };

  const more = (req: FastifyRequest) => {
    const { version, locator } = req.params as { version: string; locator: string };
    const m = /^(.+)-(\d+)$/.exec(locator);
    const cur = m ? cursors.get(m[1]!) : undefined;
    if (!m || !cur) throw new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(cur, Number(m[2]), version);
  };

  const v = '/services/data/:version';
  app.get(
    `${v}/query`,
    { preHandler: authed },
    handle((req) => first(req, false)),
  );
  app.get(
    `${v}/queryAll`,
    { preHandler: authed },
    handle((req) => first(req, true)),
  );
  app.get(`${v}/query/:locator`, { preHandler: authed }, handle(more));
  app.get(`${v}/queryAll/:locator`, { preHandler: authed }, handle(more));
}
