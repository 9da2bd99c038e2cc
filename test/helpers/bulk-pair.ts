/** A Salesforce sandbox with `records` bulk opportunities and an empty referral store (keys named after the test). */
import { join } from 'node:path';
import { insertBulkOpportunities, startSalesforceSandbox, type SalesforceSandbox } from '../../sandboxes/index.js';
import { startReferralStore, type ReferralStoreHandle } from '../../src/referral-store/index.js';

export async function startBulkPair(dir: string, name: string, records: number): Promise<{ sb: SalesforceSandbox; store: ReferralStoreHandle }> {
  const sb = await startSalesforceSandbox({ certDir: '.cosell/test-certs/salesforce' });
  const store = await startReferralStore({
    dbFile: join(dir, 'store.db'),
    apiKey: `${name}-test-key-1`,
    adminKey: `${name}-admin-key-1`,
    microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 },
  });
  insertBulkOpportunities(sb.org, records);
  return { sb, store };
}
