/**
 * Bulk API 2.0 query jobs, the way data tools read large volumes: create a job (`query` or `queryAll`), poll
 * it, read its CSV results in chunks through `Sforce-Locator`, abort or delete it. The sandbox runs the query
 * when the job is created, so the first poll already says JobComplete.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SalesforceApiError, sfDateTime, type Row } from '../org.js';
import { runSoql } from '../query-exec.js';
import { handle, USER_ID, type SandboxContext } from '../context.js';

interface QueryJob {
  info: Row & { id: string; state: string };
  header: string[];
  rows: string[][];
}

const DELIMITERS: Record<string, string> = { COMMA: ',', TAB: '\t', PIPE: '|', SEMICOLON: ';', CARET: '^', BACKQUOTE: '`' };

function csvCell(v: unknown, delimiter: string): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.includes('"') || s.includes(delimiter) || /[\r\n]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : `"${s}"`;
}

/** Flatten a rendered record into the CSV columns (`Account.Name` for parent fields). */
function flatten(record: Row, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(record)) {
    if (k === 'attributes') continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Row, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

export function bulkRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { org, authed } = ctx;
  const jobs = new Map<string, QueryJob>();
  const v = '/services/data/:version/jobs/query';
  const job = (req: FastifyRequest) => {
    const j = jobs.get((req.params as { jobId: string }).jobId);
    if (!j) throw new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return j;
  };

  app.post(
    v,
    { preHandler: authed },
    handle((req) => {
      const { version } = req.params as { version: string };
      const b = (req.body ?? {}) as { operation?: unknown; query?: unknown; columnDelimiter?: unknown; lineEnding?: unknown; contentType?: unknown };
      if (b.operation !== 'query' && b.operation !== 'queryAll') throw new SalesforceApiError(400, 'INVALIDJOB', "operation: 'query' or 'queryAll' is required");
      if (typeof b.query !== 'string' || !b.query) throw new SalesforceApiError(400, 'INVALIDJOB', 'query: a SOQL query is required');
      const delimiter = typeof b.columnDelimiter === 'string' ? b.columnDelimiter : 'COMMA';
      if (!DELIMITERS[delimiter]) throw new SalesforceApiError(400, 'INVALIDJOB', `columnDelimiter: one of ${Object.keys(DELIMITERS).join(', ')}`);
      const lineEnding = b.lineEnding === 'CRLF' ? 'CRLF' : 'LF';
      const result = runSoql(org, b.query, b.operation === 'queryAll');
      if (result.kind !== 'rows') throw new SalesforceApiError(400, 'API_ERROR', 'Aggregate functions and COUNT() are not supported by Bulk API 2.0 queries');
      if (result.nested) throw new SalesforceApiError(400, 'API_ERROR', 'Nested queries are not supported by Bulk API 2.0 queries');
      const table = org.table(result.object);
      const records = result.ids.map((id) => flatten(result.render(table.get(id)!, version)));
      const header = records[0] ? Object.keys(records[0]) : [];
      const now = sfDateTime(Date.now());
      const id = `750${randomUUID().replace(/-/g, '').slice(0, 15)}`;
      const info = {
        id,
        operation: b.operation,
        object: result.object,
        createdById: USER_ID,
        createdDate: now,
        systemModstamp: now,
        state: 'JobComplete',
        concurrencyMode: 'Parallel',
        contentType: 'CSV',
        apiVersion: Number(version.replace(/^v/, '')),
        lineEnding,
        columnDelimiter: delimiter,
        numberRecordsProcessed: records.length,
        retries: 0,
        totalProcessingTime: 0,
      };
      jobs.set(id, { info, header, rows: records.map((r) => header.map((h) => csvCell(r[h], DELIMITERS[delimiter]!))) });
      return { ...info, state: 'UploadComplete' };
    }),
  );

  app.get(v, { preHandler: authed }, async () => ({ done: true, records: [...jobs.values()].map((j) => j.info), nextRecordsUrl: null }));
  app.get(
    `${v}/:jobId`,
    { preHandler: authed },
    handle((req) => job(req).info),
  );
  app.patch(
    `${v}/:jobId`,
    { preHandler: authed },
    handle((req) => {
      const j = job(req);
      if ((req.body as { state?: unknown } | null)?.state !== 'Aborted') throw new SalesforceApiError(400, 'INVALIDJOBSTATE', "state: only 'Aborted' can be set");
      if (j.info.state === 'JobComplete') throw new SalesforceApiError(400, 'INVALIDJOBSTATE', 'Job is already complete');
      j.info.state = 'Aborted';
      return j.info;
    }),
  );
  app.delete(
    `${v}/:jobId`,
    { preHandler: authed },
    handle((req, reply) => {
      job(req);
      jobs.delete((req.params as { jobId: string }).jobId);
      return reply.code(204).send();
    }),
  );
  app.get(
    `${v}/:jobId/results`,
    { preHandler: authed },
    handle((req, reply) => {
      const j = job(req);
      const q = req.query as { locator?: string; maxRecords?: string };
      const from = q.locator ? Number(Buffer.from(q.locator, 'base64url').toString('utf8')) : 0;
      if (!Number.isInteger(from) || from < 0 || from > j.rows.length) throw new SalesforceApiError(400, 'INVALID_LOCATOR', 'invalid locator');
      const max = q.maxRecords ? Number(q.maxRecords) : 50_000;
      if (!Number.isInteger(max) || max < 1) throw new SalesforceApiError(400, 'INVALID_MAX_RECORDS', 'maxRecords must be a positive whole number');
      const chunk = j.rows.slice(from, from + max);
      const next = from + chunk.length < j.rows.length ? Buffer.from(String(from + chunk.length)).toString('base64url') : 'null';
      const delimiter = DELIMITERS[String(j.info.columnDelimiter)]!;
      const eol = j.info.lineEnding === 'CRLF' ? '\r\n' : '\n';
      const lines = [j.header.map((h) => `"${h}"`).join(delimiter), ...chunk.map((r) => r.join(delimiter))];
      reply.header('Sforce-Locator', next).header('Sforce-NumberOfRecords', String(chunk.length)).type('text/csv');
      return reply.send(lines.join(eol) + eol);
    }),
  );
}
