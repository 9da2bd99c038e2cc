/**
 * The REST resources around sObjects: versions and the version root, limits, describeGlobal, an object's basic
 * info and describe, record CRUD, records by external id (get, upsert, delete), and the replication resources
 * `updated` and `deleted` — with Salesforce's status codes and answer shapes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SalesforceApiError, SCHEMA, sfDateTime, type Row } from '../org.js';
import { renderRow } from '../query-exec.js';
import { API_VERSIONS, handle, sfError, type SandboxContext } from '../context.js';

const RELEASES: Record<string, string> = { '68.0': "Winter '27", '67.0': "Summer '26", '66.0': "Spring '26", '65.0': "Winter '26", '64.0': "Summer '25", '63.0': "Spring '25" };
const MAX_REPLICATION_DAYS = 30;

export function sobjectRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { org, o, authed } = ctx;
  const v = '/services/data/:version';
  const params = (req: FastifyRequest) => req.params as { version: string; object: string; id: string; field: string; value: string };

  app.get('/services/data', async () => API_VERSIONS.map((n) => ({ label: RELEASES[n] ?? `v${n}`, url: `/services/data/v${n}`, version: n })));

  app.get(v, { preHandler: authed }, async (req) => {
    const base = `/services/data/${params(req).version}`;
    return Object.fromEntries(['sobjects', 'query', 'queryAll', 'limits', 'composite', 'jobs'].map((k) => [k, `${base}/${k === 'jobs' ? 'jobs/query' : k}`]));
  });

  app.get(`${v}/limits`, { preHandler: authed }, async () => ({
    DailyApiRequests: { Max: o.dailyApiLimit, Remaining: Math.max(0, o.dailyApiLimit - ctx.stats.used) },
  }));

  const objectSummary = (name: string, version: string) => {
    const s = SCHEMA[name]!;
    const url = `/services/data/${version}/sobjects/${name}`;
    return {
      name,
      label: name,
      labelPlural: `${name}s`,
      keyPrefix: s.prefix,
      custom: false,
      queryable: true,
      retrieveable: true,
      searchable: true,
      createable: true,
      updateable: true,
      deletable: true,
      replicateable: true,
      urls: { sobject: url, describe: `${url}/describe`, rowTemplate: `${url}/{ID}` },
    };
  };

  app.get(`${v}/sobjects`, { preHandler: authed }, async (req) => ({
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: Object.keys(SCHEMA).map((name) => objectSummary(name, params(req).version)),
  }));

  const knownObject = (name: string) => {
    const canonical = Object.keys(SCHEMA).find((k) => k.toLowerCase() === name.toLowerCase());
    if (!canonical) throw new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return canonical;
  };

  app.get(
    `${v}/sobjects/:object`,
    { preHandler: authed },
    handle((req) => {
      const { object, version } = params(req);
      return { objectDescribe: objectSummary(knownObject(object), version), recentItems: [] };
    }),
  );

  const describe = (object: string, version: string) => {
    const s = org.schema(object);
    const children = Object.entries(SCHEMA).flatMap(([child, cs]) =>
      cs.fields
        .filter((f) => f.referenceTo === object && f.childRelationshipName)
        .map((f) => ({ childSObject: child, field: f.name, relationshipName: f.childRelationshipName, cascadeDelete: false })),
    );
    return {
      ...objectSummary(object, version),
      childRelationships: children,
      fields: s.fields.map((f) => ({
        name: f.name,
        label: f.label ?? f.name,
        type: f.type,
        custom: f.custom === true,
        updateable: f.updateable !== false,
        createable: f.updateable !== false,
        nillable: !s.required.includes(f.name) && f.type !== 'boolean' && f.type !== 'id',
        defaultedOnCreate: f.type === 'boolean' || f.updateable === false,
        calculated: false,
        filterable: f.type !== 'textarea',
        sortable: f.type !== 'textarea',
        externalId: f.externalId === true,
        idLookup: f.type === 'id' || f.externalId === true,
        nameField: f.name === 'Name',
        unique: f.type === 'id',
        length: f.length ?? 0,
        referenceTo: f.referenceTo ? [f.referenceTo] : [],
        relationshipName: f.relationshipName ?? null,
        restrictedPicklist: f.type === 'picklist',
        picklistValues:
          f.name === 'StageName'
            ? org.stages.map((st) => ({ value: st.ApiName, label: st.MasterLabel, active: st.IsActive, defaultValue: false }))
            : (f.picklistValues ?? []).map((p) => ({ value: p, label: p, active: true, defaultValue: false })),
      })),
    };
  };
  app.get(
    `${v}/sobjects/:object/describe`,
    { preHandler: authed },
    handle((req) => describe(knownObject(params(req).object), params(req).version)),
  );

  /** `start`/`end` of the replication resources: required, ISO date-times, end after start, at most 30 days back. */
  const window = (req: FastifyRequest) => {
    const q = req.query as { start?: string; end?: string };
    if (!q.start || !q.end) throw new SalesforceApiError(400, 'MISSING_ARGUMENT', 'start and end are required parameters');
    const start = Date.parse(q.start);
    const end = Date.parse(q.end);
    if (Number.isNaN(start) || Number.isNaN(end)) throw new SalesforceApiError(400, 'INVALID_REPLICATION_DATE', 'start and end must be date-times, e.g. 2026-12-01T00:00:00+00:00');
    if (end < start) throw new SalesforceApiError(400, 'INVALID_REPLICATION_DATE', 'end must be after start');
    if (start < Date.now() - MAX_REPLICATION_DAYS * 86_400_000)
      throw new SalesforceApiError(400, 'INVALID_REPLICATION_DATE', `start date cannot be more than ${MAX_REPLICATION_DAYS} days ago`);
    // Salesforce rounds the window down to whole minutes.
    return { start: Math.floor(start / 60_000) * 60_000, end: Math.floor(end / 60_000) * 60_000 };
  };
  const inWindow = (object: string, w: { start: number; end: number }) =>
    org.changedSince(object, w.start).filter((r) => Date.parse(String(r.SystemModstamp).replace('+0000', 'Z')) < w.end);
  app.get(
    `${v}/sobjects/:object/updated`,
    { preHandler: authed },
    handle((req) => {
      const object = knownObject(params(req).object);
      const w = window(req);
      return {
        ids: inWindow(object, w)
          .filter((r) => !r.IsDeleted)
          .map((r) => String(r.Id)),
        latestDateCovered: sfDateTime(w.end),
      };
    }),
  );
  app.get(
    `${v}/sobjects/:object/deleted`,
    { preHandler: authed },
    handle((req) => {
      const object = knownObject(params(req).object);
      const w = window(req);
      return {
        deletedRecords: inWindow(object, w)
          .filter((r) => r.IsDeleted)
          .map((r) => ({ id: String(r.Id), deletedDate: String(r.SystemModstamp) })),
        earliestDateAvailable: sfDateTime(Date.now() - MAX_REPLICATION_DAYS * 86_400_000),
        latestDateCovered: sfDateTime(w.end),
      };
    }),
  );

  const body = (req: FastifyRequest): Row => {
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new SalesforceApiError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object of field values');
    return b as Row;
  };
  // A record read with `?fields=` still carries its Id, as Salesforce answers it.
  const fieldList = (req: FastifyRequest, object: string) => {
    const asked = (req.query as { fields?: string }).fields
      ?.split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    return asked ? [...new Set([...asked, 'Id'])] : org.schema(object).fields.map((f) => f.name);
  };

  app.post(
    `${v}/sobjects/:object`,
    { preHandler: authed },
    handle((req, reply) => {
      const id = org.insert(knownObject(params(req).object), body(req));
      return reply.code(201).send({ id, success: true, errors: [] });
    }),
  );
  app.get(
    `${v}/sobjects/:object/:id`,
    { preHandler: authed },
    handle((req) => {
      const { id, version } = params(req);
      const object = knownObject(params(req).object);
      return renderRow(org, object, org.get(object, id), fieldList(req, object), version);
    }),
  );
  app.patch(
    `${v}/sobjects/:object/:id`,
    { preHandler: authed },
    handle((req, reply) => {
      org.update(knownObject(params(req).object), params(req).id, body(req));
      return reply.code(204).send();
    }),
  );
  app.delete(
    `${v}/sobjects/:object/:id`,
    { preHandler: authed },
    handle((req, reply) => {
      org.remove(knownObject(params(req).object), params(req).id);
      return reply.code(204).send();
    }),
  );

  // Records by external id. `Id` works as the key too; any other field must be marked External ID.
  const byExternalId = (object: string, field: string, value: string): { field: string; rows: Row[] } => {
    const def = org.schema(object).fields.find((f) => f.name.toLowerCase() === field.toLowerCase());
    if (!def || (def.type !== 'id' && !def.externalId)) throw new SalesforceApiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${field}`);
    const rows = org.all(object).filter((r) => (def.type === 'id' ? String(r.Id).startsWith(value) : String(r[def.name] ?? '').toLowerCase() === value.toLowerCase()));
    return { field: def.name, rows };
  };
  const multiple = (reply: FastifyReply, object: string, rows: Row[], version: string) =>
    reply.code(300).send(rows.map((r) => `/services/data/${version}/sobjects/${object}/${String(r.Id)}`));
  /** The one row an external id names, or the answer already sent: 404 for none, 300 listing them for several. */
  const oneByExternalId = (req: FastifyRequest, reply: FastifyReply): { object: string; row: Row; version: string } | { answered: FastifyReply } => {
    const { field, value, version, object: name } = params(req);
    const object = knownObject(name);
    const { rows } = byExternalId(object, field, value);
    if (rows.length === 0) return { answered: sfError(reply, 404, 'NOT_FOUND', 'The requested resource does not exist') };
    if (rows.length > 1) return { answered: multiple(reply, object, rows, version) };
    return { object, row: rows[0]!, version };
  };

  app.get(
    `${v}/sobjects/:object/:field/:value`,
    { preHandler: authed },
    handle((req, reply) => {
      const one = oneByExternalId(req, reply);
      return 'row' in one ? renderRow(org, one.object, one.row, fieldList(req, one.object), one.version) : one.answered;
    }),
  );
  app.patch(
    `${v}/sobjects/:object/:field/:value`,
    { preHandler: authed },
    handle((req, reply) => {
      const { field, value, version } = params(req);
      const object = knownObject(params(req).object);
      const { field: key, rows } = byExternalId(object, field, value);
      const fields = { ...body(req) };
      for (const k of Object.keys(fields)) if (k.toLowerCase() === key.toLowerCase()) delete fields[k];
      if (rows.length > 1) return multiple(reply, object, rows, version);
      if (rows.length === 1) {
        org.update(object, String(rows[0]!.Id), fields);
        return reply.code(200).send({ id: String(rows[0]!.Id), success: true, errors: [], created: false });
      }
      if (key === 'Id') throw new SalesforceApiError(404, 'NOT_FOUND', 'Provided external ID field does not exist or is not accessible: Id');
      const id = org.insert(object, { ...fields, [key]: value });
      return reply.code(201).send({ id, success: true, errors: [], created: true });
    }),
  );
  app.delete(
    `${v}/sobjects/:object/:field/:value`,
    { preHandler: authed },
    handle((req, reply) => {
      const one = oneByExternalId(req, reply);
      if (!('row' in one)) return one.answered;
      org.remove(one.object, String(one.row.Id));
      return reply.code(204).send();
    }),
  );
}
