/** Issue 13 §9: the state folder is created 0700, the store and state databases (and their WAL) are 0600. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSecretFile } from '../../src/partner-center/auth.js';
import { startReferralStore } from '../../src/referral-store/index.js';
import { openSqliteState } from '../../src/state/index.js';

const root = mkdtempSync(join(tmpdir(), 'cosell-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('file modes', () => {
  it('the store creates its folder 0700 and store.db (and -wal) 0600', async () => {
    const dir = join(root, 'store', '.cosell');
    const db = join(dir, 'store.db');
    const store = await startReferralStore({ dbFile: db, apiKey: 'modes-api-key-1', adminKey: 'modes-admin-key-1' });
    try {
      expect(mode(dir).toString(8)).toBe('700');
      expect(mode(db).toString(8)).toBe('600');
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(mode(`${db}-wal`).toString(8)).toBe('600');
    } finally {
      await store.close();
    }
  });

  it('the sync state creates its folder 0700 and state.db 0600; an existing 0644 database is narrowed to 0600', async () => {
    const dir = join(root, 'state', '.cosell');
    const db = join(dir, 'state.db');
    await openSqliteState(db).close();
    expect(mode(dir).toString(8)).toBe('700');
    expect(mode(db).toString(8)).toBe('600');
    const old = join(root, 'old', 'state.db');
    mkdirSync(join(root, 'old'));
    writeFileSync(old, '');
    chmodSync(old, 0o644);
    await openSqliteState(old).close();
    expect(mode(old).toString(8)).toBe('600');
  });

  it('token files are 0600 in a folder created 0700', () => {
    const file = join(root, 'tokens', 'pc-refresh-token');
    writeSecretFile(file, 'secret');
    expect(mode(join(root, 'tokens')).toString(8)).toBe('700');
    expect(mode(file).toString(8)).toBe('600');
  });
});
