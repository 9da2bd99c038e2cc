/**
 * Store schema for deal registration (issue 17): the solution catalogue's incentive programs and the
 * registrations under review. Numbered 1701+ so it never collides with other migrations appended in parallel.
 */
import type { Migration } from '../migrations.js';

export const REGISTRATION_MIGRATION: Migration = {
  version: 1701,
  name: 'deal registration: solution incentives, registrations',
  sql: `
    -- Which solutions carry an IP incentive (cosell-rules §6); the demo solutions of the sandboxes and the seed.
    CREATE TABLE solution_incentives (solution_id TEXT PRIMARY KEY, program TEXT NOT NULL);
    INSERT INTO solution_incentives (solution_id, program) VALUES
      ('SOL-AZ-001', 'AzureIpCoSell'), ('SOL-AZ-002', 'AzureIpCoSell'), ('SOL-BA-010', 'BusinessApplicationsStandard'),
      ('SOL-DEMO-1', 'AzureIpCoSell'), ('SOL-DEMO-2', 'BusinessApplicationsPremier'), ('SOL-MS-AZURE-MIGRATION', 'AzureIpCoSell');
    -- One registration per deal; due is when Microsoft's reviewer next acts on it (null once closed).
    CREATE TABLE registrations (
      id TEXT PRIMARY KEY,
      referral_id TEXT NOT NULL UNIQUE,
      org_id TEXT NOT NULL,
      status TEXT NOT NULL,
      due TEXT,
      body TEXT NOT NULL
    );
    CREATE INDEX registrations_due ON registrations(due) WHERE due IS NOT NULL;
  `,
};
