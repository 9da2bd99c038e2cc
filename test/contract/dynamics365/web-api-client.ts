/**
 * Drives a Dataverse sandbox with a third-party client (dynamics-web-api), exactly as an integrator would, and
 * prints what each call answered as one JSON line. It runs in its own process because the library builds its
 * own https.Agent with no CA option: the sandbox's CA reaches it only through NODE_EXTRA_CA_CERTS, which Node
 * reads at start. The contract test starts the sandbox, runs this, and judges the answers.
 */
import { DynamicsWebApi } from 'dynamics-web-api';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const url = env('D365_URL');
const tokenRes = await fetch(`${env('D365_AUTHORITY')}/oauth2/v2.0/token`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: env('D365_CLIENT_ID'), client_secret: env('D365_CLIENT_SECRET'), scope: `${url}/.default` }),
});
const { access_token: token } = (await tokenRes.json()) as { access_token: string };
const api = new DynamicsWebApi({ serverUrl: url, dataApi: { version: '9.2' }, onTokenRefresh: async () => token, propagateErrors: true });

/** Each step's answer, or the error the library raised (status and Dataverse's code/message). */
const out: Record<string, unknown> = {};
async function step(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    out[name] = { ok: true, value: await run() };
  } catch (err) {
    const e = err as { status?: number; code?: string; message?: string };
    out[name] = { ok: false, status: e.status ?? null, code: e.code ?? null, message: e.message ?? String(err) };
  }
}

const entityKey = "LogicalName='opportunity'";
const filter = "startswith(name,'Contract')";

await step('entities', () => api.retrieveEntities({ select: ['LogicalName', 'EntitySetName'] }));
await step('entity', () => api.retrieveEntity({ key: entityKey, select: ['LogicalName', 'EntitySetName', 'PrimaryIdAttribute'] }));
await step('picklist', () =>
  api.retrieveAttribute({
    entityKey,
    attributeKey: "LogicalName='salesstage'",
    castType: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata',
    select: ['LogicalName', 'RequiredLevel'],
    expand: [{ property: 'OptionSet' }],
  }),
);
await step('lookup', () =>
  api.retrieveAttribute({
    entityKey,
    attributeKey: "LogicalName='parentaccountid'",
    castType: 'Microsoft.Dynamics.CRM.LookupAttributeMetadata',
    select: ['LogicalName', 'Targets', 'RequiredLevel'],
  }),
);
// The generic retrieve, written the way many integrators write it: every segment lower-cased.
await step('picklistLowerCase', () =>
  api.retrieve({
    collection: 'entitydefinitions',
    key: "logicalname='opportunity'",
    navigationProperty: "attributes(logicalname='salesstage')/microsoft.dynamics.crm.picklistattributemetadata",
    select: ['LogicalName'],
    expand: [{ property: 'OptionSet' }],
  }),
);
await step('picklists', () => api.retrieveAttributes({ entityKey, castType: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata', select: ['LogicalName'] }));

await step('firstPage', () => api.retrieveMultiple({ collection: 'opportunities', select: ['name'], filter, maxPageSize: 2, count: true }));
const first = (out.firstPage as { value?: { oDataNextLink?: string } }).value;
if (first?.oDataNextLink) await step('secondPage', () => api.retrieveMultiple({ collection: 'opportunities', select: ['name'], maxPageSize: 2 }, first.oDataNextLink));
await step('all', () => api.retrieveAll({ collection: 'opportunities', select: ['name'], filter, maxPageSize: 3 }));
await step('topWithCount', () => api.retrieveMultiple({ collection: 'opportunities', select: ['name'], filter, top: 1, count: true }));
await step('countFiltered', () => api.count({ collection: 'opportunities', filter }));
await step('countAll', () => api.count({ collection: 'opportunities' }));

// Change tracking: a delta link, then changes made through the same client show up (and a delete) in the delta.
await step('track', () => api.retrieveAll({ collection: 'opportunities', select: ['name', 'estimatedvalue'], trackChanges: true }));
const deltaLink = (out.track as { value?: { oDataDeltaLink?: string } }).value?.oDataDeltaLink;

// $batch: two creates in one change set.
await step('batch', async () => {
  api.startBatch();
  // In batch mode a create only queues the request; executeBatch sends them and carries their answers.
  void api.create({ collection: 'opportunities', data: { name: 'Contract batch A', estimatedvalue: 100 } });
  void api.create({ collection: 'opportunities', data: { name: 'Contract batch B', estimatedvalue: 200 } });
  return api.executeBatch({ inChangeSet: true });
});

// If-Match: an update with the current ETag lands; one with a stale ETag is a 412.
const target = env('D365_TARGET_ID');
await step('read', () => api.retrieve({ collection: 'opportunities', key: target, select: ['name', 'estimatedvalue'] }));
const etag = String((out.read as { value?: Record<string, unknown> }).value?.['@odata.etag'] ?? '');
await step('updateCurrent', () => api.update({ collection: 'opportunities', key: target, data: { estimatedvalue: 4242 }, ifmatch: etag }));
await step('updateStale', () => api.update({ collection: 'opportunities', key: target, data: { estimatedvalue: 1 }, ifmatch: etag }));
await step('delete', () => api.deleteRecord({ collection: 'opportunities', key: env('D365_DELETE_ID') }));

if (deltaLink) await step('delta', () => api.retrieveMultiple({ collection: 'opportunities' }, deltaLink));

process.stdout.write(`${JSON.stringify(out)}\n`);
