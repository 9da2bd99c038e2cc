import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError } from '../../../src/referral-store/odata-filter.js';

describe('compileFilter ($filter → SQL)', () => {
  it('uses indexed columns for top-level fields and json_extract for nested paths', () => {
    expect(compileFilter("status eq 'New'")).toEqual({ sql: '(r.status = ?)', params: ['New'], engagementIds: [] });
    expect(compileFilter("customerProfile/address/country eq 'US'").sql).toBe("(json_extract(r.body, '$.customerProfile.address.country') = ?)");
  });

  it("binds property names like body keys (PascalCase, the docs' ID spelling)", () => {
    expect(compileFilter("Status eq 'New' and ExternalReferenceID eq 'x'").sql).toBe('((r.status = ?) AND (r.external_reference_id = ?))');
  });

  it('ne and null use IS NOT / IS NULL so missing values compare like OData', () => {
    expect(compileFilter("substatus ne 'Won'").sql).toBe('(r.substatus IS NOT ?)');
    expect(compileFilter('statusReason eq null').sql).toBe("(json_extract(r.body, '$.statusReason') IS NULL)");
  });

  it('normalises datetime literals (bare or quoted) to the stored ISO form', () => {
    expect(compileFilter('updatedDateTime ge 2026-01-01T10:00:00+02:00').params).toEqual(['2026-01-01T08:00:00.000Z']);
    expect(compileFilter("createdDateTime lt '2026-01-01T00:00:00Z'").params).toEqual(['2026-01-01T00:00:00.000Z']);
  });

  it("unescapes '' in string literals and binds values as parameters (no SQL injection)", () => {
    const c = compileFilter("name eq 'x''); DROP TABLE referrals; --'");
    expect(c.sql).toBe('(r.name = ?)');
    expect(c.params).toEqual(["x'); DROP TABLE referrals; --"]);
  });

  it('gives not the highest precedence', () => {
    expect(compileFilter("not status eq 'New' and favorite eq true").sql).toBe('((NOT (r.status = ?)) AND (r.favorite = ?))');
    expect(compileFilter("not (status eq 'New' and favorite eq true)").sql).toBe('(NOT ((r.status = ?) AND (r.favorite = ?)))');
  });

  it('translates any/all lambdas, nested ones with distinct aliases', () => {
    expect(compileFilter("team/any(t:t/email eq 'a@b.c')").sql).toBe("EXISTS (SELECT 1 FROM json_each(r.body, '$.team') AS j0 WHERE (json_extract(j0.value, '$.email') = ?))");
    expect(compileFilter('team/any()').sql).toBe("EXISTS (SELECT 1 FROM json_each(r.body, '$.team'))");
  });

  it('finds top-level engagementId conjuncts (related-referral queries)', () => {
    expect(compileFilter("engagementId eq 'e1' and status eq 'New'").engagementIds).toEqual(['e1']);
    expect(compileFilter("engagementId eq 'e1' or status eq 'New'").engagementIds).toEqual([]);
  });

  it('reports the position of a syntax error and names unknown properties and functions', () => {
    const fail = (s: string) => {
      try {
        compileFilter(s);
      } catch (e) {
        expect(e).toBeInstanceOf(FilterError);
        return (e as FilterError).message;
      }
      throw new Error(`no error for ${s}`);
    };
    expect(fail("status eq 'New' and")).toContain('position 15');
    expect(fail('status eq')).toMatch(/position \d+/);
    expect(fail('nope eq 1')).toContain("unknown property 'nope'");
    expect(fail('length(name) eq 3')).toContain('length()');
  });
});
