/**
 * The benchmark's baseline: a bare fastify server doing the same SQLite writes as the store, on the store's own
 * schema, with no validation, rules or API layer — insert a referral row plus its outbox event (create),
 * read-modify-write a row plus its event (patch), select a page of 100 (list), each in one transaction.
 * The ratio store / baseline is then the cost of everything the store adds on top of its storage.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { migrateStoreDatabase } from '../src/referral-store/index.js';

export async function startBaseline(dbFile: string): Promise<{ url: string; close(): Promise<void> }> {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000'); // the same SQLite settings as the store
  migrateStoreDatabase(db);
  const insert = db.prepare(`INSERT INTO referrals (id, org_id, engagement_id, direction, status, substatus, name, external_reference_id,
    deal_type, created, updated, etag, body) VALUES (?, 'o', ?, 'Outgoing', 'Active', 'Accepted', ?, ?, 'private', ?, ?, ?, ?)`);
  const get = db.prepare('SELECT body FROM referrals WHERE id = ?');
  const update = db.prepare('UPDATE referrals SET body = ?, name = ?, updated = ?, etag = ? WHERE id = ?');
  const event = db.prepare('INSERT INTO events (name, referral_id, org_id, created, recipients) VALUES (?, ?, ?, ?, ?)');
  const page = db.prepare("SELECT body FROM referrals WHERE org_id = 'o' ORDER BY created, id LIMIT 101");
  const tx = db.transaction((fn: () => void) => fn());
  const recipients = JSON.stringify([{ role: 'organization', organizationId: 'o' }]);

  const app = Fastify({ logger: false });
  app.post('/referrals', async (req, reply) => {
    const id = randomUUID();
    const now = new Date().toISOString();
    const input = req.body as { name?: string; externalReferenceId?: string };
    const body = { ...input, id, engagementId: randomUUID(), status: 'Active', substatus: 'Accepted', createdDateTime: now, updatedDateTime: now };
    tx(() => {
      insert.run(id, body.engagementId, input.name ?? '', input.externalReferenceId ?? null, now, now, randomUUID(), JSON.stringify(body));
      event.run('referral-created', id, 'o', now, recipients);
    });
    return reply.code(201).send(body);
  });
  app.patch<{ Params: { id: string } }>('/referrals/:id', async (req, reply) => {
    let found = true;
    tx(() => {
      const row = get.get(req.params.id) as { body: string } | undefined;
      if (!row) {
        found = false;
        return;
      }
      const doc = JSON.parse(row.body) as Record<string, unknown>;
      for (const op of req.body as { path: string; value: unknown }[]) doc[op.path.slice(1).split('/')[0]!] = op.value;
      const now = new Date().toISOString();
      update.run(JSON.stringify(doc), String(doc.name ?? ''), now, randomUUID(), req.params.id);
      event.run('referral-updated', req.params.id, 'o', now, recipients);
    });
    return reply.code(found ? 204 : 404).send();
  });
  app.get('/referrals', async () => ({ value: (page.all() as { body: string }[]).slice(0, 100).map((r) => JSON.parse(r.body) as unknown) }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}
