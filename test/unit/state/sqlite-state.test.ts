/** The SyncState contract on SQLite files. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteState } from '../../../src/state/index.js';
import { stateContract } from '../../helpers/state-contract.js';

stateContract('sqlite', {
  async fresh() {
    const file = join(mkdtempSync(join(tmpdir(), 'cosell-state-')), 'state.db');
    return { open: async () => openSqliteState(file) };
  },
});
