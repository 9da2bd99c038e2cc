import { describe, expect, it } from 'vitest';
import { applyPatch, parsePointer } from '../../../src/referral-store/json-patch.js';

describe('JSON Patch add/replace (RFC 6902 over RFC 6901 pointers)', () => {
  const doc = { name: 'a', team: [{ email: 'x' }], details: { dealValue: 1 } };

  it('unescapes ~1 and ~0, lower-cases the first letter of members and maps the documented consent key', () => {
    expect(parsePointer('/a~1b/c~0d')).toEqual(['a/b', 'c~d']);
    expect(parsePointer('/Details/DealValue')).toEqual(['details', 'dealValue']);
    expect(parsePointer('/consent/consentToToShareInfoWithOthers')).toEqual(['consent', 'consentToShareInfoWithOthers']);
  });

  it('add appends with - and inserts at an index; replace swaps an element', () => {
    const r = applyPatch(doc, [
      { op: 'add', path: '/team/-', value: { Email: 'y' } },
      { op: 'add', path: '/team/0', value: { email: 'w' } },
      { op: 'replace', path: '/team/2', value: { email: 'z' } },
    ]);
    expect(r).toEqual({ ok: true, doc: { ...doc, team: [{ email: 'w' }, { email: 'x' }, { email: 'z' }] } });
  });

  it('replace of a missing object member creates it (and its parents); the input is never mutated', () => {
    const r = applyPatch(doc, [{ op: 'replace', path: '/inviteContext/assistanceRequestCode', value: 'GeneralOrOther' }]);
    expect(r.ok && r.doc.inviteContext).toEqual({ assistanceRequestCode: 'GeneralOrOther' });
    expect(doc).not.toHaveProperty('inviteContext');
  });

  it('rejects indexes out of range, non-numeric indexes, paths through scalars and the root', () => {
    for (const op of [
      { op: 'replace' as const, path: '/team/1', value: 1 },
      { op: 'add' as const, path: '/team/2', value: 1 },
      { op: 'replace' as const, path: '/team/x', value: 1 },
      { op: 'replace' as const, path: '/name/first', value: 1 },
      { op: 'replace' as const, path: '', value: {} },
    ]) {
      const r = applyPatch(doc, [op]);
      expect(r.ok, op.path).toBe(false);
    }
  });

  it('calls onStep after each op (successive stage moves are observable)', () => {
    const seen: unknown[] = [];
    applyPatch({ salesStage: null }, [
      { op: 'replace', path: '/salesStage', value: 'Qualify' },
      { op: 'replace', path: '/salesStage', value: 'Develop' },
    ], (d) => seen.push(d.salesStage));
    expect(seen).toEqual(['Qualify', 'Develop']);
  });
});

describe('JSON Patch on missing containers and doc-style keys', () => {
  it('creates an array for /team/- when the referral has no team yet', () => {
    const r = applyPatch({ name: 'a' }, [{ op: 'add', path: '/team/-', value: { email: 'x' } }]);
    expect(r.ok && r.doc.team).toEqual([{ email: 'x' }]);
  });

  it("reads the docs' ID spelling as camelCase (/ExternalReferenceID → externalReferenceId)", () => {
    expect(parsePointer('/ExternalReferenceID')).toEqual(['externalReferenceId']);
  });
});
