import { describe, expect, it } from 'vitest';
import { applyPatch, parsePointer } from '../../../src/referral-store/json-patch.js';

const ALL = ['name', 'team', 'details', 'inviteContext', 'salesStage', 'externalReferenceId'];

describe('JSON Patch add/replace (RFC 6902 over RFC 6901 pointers)', () => {
  const doc = { name: 'a', team: [{ email: 'x' }], details: { dealValue: 1 } };

  it('unescapes ~1 and ~0, lower-cases the first letter of members and maps the documented consent key', () => {
    expect(parsePointer('/a~1b/c~0d')).toEqual(['a/b', 'c~d']);
    expect(parsePointer('/Details/DealValue')).toEqual(['details', 'dealValue']);
    expect(parsePointer('/consent/consentToToShareInfoWithOthers')).toEqual(['consent', 'consentToShareInfoWithOthers']);
  });

  it('add appends with - and inserts at an index; replace swaps an element', () => {
    const r = applyPatch(
      doc,
      [
        { op: 'add', path: '/team/-', value: { Email: 'y' } },
        { op: 'add', path: '/team/0', value: { email: 'w' } },
        { op: 'replace', path: '/team/2', value: { email: 'z' } },
      ],
      ALL,
    );
    expect(r).toEqual({ ok: true, doc: { ...doc, team: [{ email: 'w' }, { email: 'x' }, { email: 'z' }] } });
  });

  it('replace of a missing object member creates it (and its parents); the input is never mutated', () => {
    const r = applyPatch(doc, [{ op: 'replace', path: '/inviteContext/assistanceRequestCode', value: 'GeneralOrOther' }], ALL);
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
      const r = applyPatch(doc, [op], ALL);
      expect(r.ok, op.path).toBe(false);
    }
  });

  it('calls onStep after each op (successive stage moves are observable)', () => {
    const seen: unknown[] = [];
    applyPatch(
      { salesStage: null },
      [
        { op: 'replace', path: '/salesStage', value: 'Qualify' },
        { op: 'replace', path: '/salesStage', value: 'Develop' },
      ],
      ALL,
      (d) => seen.push(d.salesStage),
    );
    expect(seen).toEqual(['Qualify', 'Develop']);
  });
});

describe('JSON Patch on missing containers and doc-style keys', () => {
  it('creates an array for /team/- when the referral has no team yet', () => {
    const r = applyPatch({ name: 'a' }, [{ op: 'add', path: '/team/-', value: { email: 'x' } }], ALL);
    expect(r.ok && r.doc.team).toEqual([{ email: 'x' }]);
  });

  it("reads the docs' ID spelling as camelCase (/ExternalReferenceID → externalReferenceId)", () => {
    expect(parsePointer('/ExternalReferenceID')).toEqual(['externalReferenceId']);
  });
});

describe('JSON Patch refuses what the caller may not write', () => {
  it('refuses prototype paths at any depth and leaves Object.prototype untouched', () => {
    for (const path of ['/__proto__/x', '/details/__proto__/polluted', '/constructor/prototype/x', '/team/0/__proto__/x', '/__Proto__/x']) {
      const r = applyPatch({ details: {}, team: [{}] }, [{ op: 'add', path, value: { id: 'victim' } }], ALL);
      expect(r.ok, path).toBe(false);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).id).toBeUndefined();
  });

  it('refuses a field outside the allow-list, naming it; a field under an allowed root passes', () => {
    const r = applyPatch({ details: {} }, [{ op: 'replace', path: '/acceptedDateTime', value: '2026-01-01T00:00:00Z' }], ['details']);
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining('acceptedDateTime is not writable') });
    expect(applyPatch({ details: {} }, [{ op: 'replace', path: '/details/notes', value: 'n' }], ['details']).ok).toBe(true);
    expect(applyPatch({ details: {} }, [{ op: 'replace', path: '/details', value: {} }], ['details.notes']).ok).toBe(false);
  });

  it('a value carrying a __proto__ key stays an own property (no prototype is set)', () => {
    const value = JSON.parse('{"__proto__": {"polluted": 1}, "notes": "n"}');
    const r = applyPatch({ details: {} }, [{ op: 'replace', path: '/details', value }], ['details']);
    expect(r.ok && Object.getPrototypeOf(r.doc.details)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
