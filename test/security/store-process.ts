/** A referral store in its own process (for SIGKILL tests): prints `{ url, apiKey }` as one JSON line. */
import { startReferralStore } from '../../src/referral-store/index.js';

const store = await startReferralStore({
  dbFile: process.env.STORE_DB!,
  apiKey: 'crash-test-api-key-1',
  adminKey: 'crash-test-admin-key-1',
  microsoftActor: { enabled: false, acceptRate: 1, decisionDays: 2, seed: 1 },
});
process.stdout.write(`${JSON.stringify({ url: store.url, apiKey: store.apiKey })}\n`);
