/**
 * The benchmark's baseline: a bare fastify server doing the same SQLite work as the store for each operation
 * (insert a referral row, read-modify-write one, select a page of 100) with no validation or rules.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

export async function startBaseline(dbFile: string): Promise<{ url: string; close(): Promise<void> }> {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000'); // the same SQLite settings as the store
  db.exec(`CREATE TABLE IF NOT EXISTS referrals (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, etag TEXT NOT NULL, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS referrals_org_created ON referrals(org_id, created, id);`);
  const insert = db.prepare('INSERT INTO referrals (id, org_id, created, updated, etag, body) VALUES (?, ?, ?, ?, ?, ?)');
  const get = db.prepare('SELECT body FROM referrals WHERE id = ?');
  const update = db.prepare('UPDATE referrals SET body = ?, updated = ?, etag = ? WHERE id = ?');
  const page = db.prepare("SELECT body FROM referrals WHERE org_id = 'o' ORDER BY created, id LIMIT 100");
  const app = Fastify({ logger: false });
  app.post('/referrals', async (req, reply) => {
    const id = randomUUID();
    const now = new Date().toISOString();
    const body = { ...(req.body as object), id, createdDateTime: now, updatedDateTime: now };
    insert.run(id, 'o', now, now, randomUUID(), JSON.stringify(body));
    return reply.code(201).send(body);
  });
  app.patch<{ Params: { id: string } }>('/referrals/:id', async (req, reply) => {
    const row = get.get(req.params.id) as { body: string } | undefined;
    if (!row) return reply.code(404).send({});
    const doc = JSON.parse(row.body) as Record<string, unknown>;
    for (const op of req.body as { path: string; value: unknown }[]) doc[op.path.slice(1).split('/')[0]!] = op.value;
    update.run(JSON.stringify(doc), new Date().toISOString(), randomUUID(), req.params.id);
    return reply.code(204).send();
  });
  app.get('/referrals', async () => ({ value: (page.all() as { body: string }[]).map((r) => JSON.parse(r.body) as unknown) }));
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
