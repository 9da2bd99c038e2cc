/** A link as the engine would commit it, for state tests. */
import { emptyDealFields } from '../../src/domain/index.js';
import type { Link } from '../../src/state/index.js';

export const link = (crmId: string, over: Partial<Link> = {}): Link => ({
  connection: 'sf',
  crmId,
  referralId: `ref-${crmId}`,
  base: { ...emptyDealFields(), name: crmId },
  referralSnapshot: null,
  referralEtag: 'e1',
  crmVersion: 'v1',
  state: 'ok',
  message: null,
  written: {},
  crmEcho: {},
  direction: 'Outgoing',
  updatedAt: '',
  ...over,
});
