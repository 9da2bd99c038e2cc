/** Record keys (issue 16): encoded and decoded in one place, older create keys read as their side. */
import { describe, expect, it } from 'vitest';
import { decodeRecordKey, recordKey } from '../../../src/state/index.js';

describe('record keys', () => {
  it('round-trip, ids with colons included', () => {
    expect(decodeRecordKey(recordKey('crm', '006A'))).toEqual({ side: 'crm', id: '006A' });
    expect(decodeRecordKey(recordKey('referral', 'a:b'))).toEqual({ side: 'referral', id: 'a:b' });
  });

  it('older pending-create keys read as the side the record comes from; anything else is no key', () => {
    expect(decodeRecordKey('create-referral:006A')).toEqual({ side: 'crm', id: '006A' });
    expect(decodeRecordKey('create-crm:ref-1')).toEqual({ side: 'referral', id: 'ref-1' });
    expect(decodeRecordKey('bogus:1')).toBeNull();
  });
});
