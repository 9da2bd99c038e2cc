/** fast-check arbitraries shared by the fuzzers: hostile create edits, JSON Patches and `$filter` texts. */
import fc from 'fast-check';
import { deal } from '../contract/store/store-harness.js';

/** Each property runs until this many milliseconds have passed (then stops, passing): `npm test` stays bounded. */
export const FUZZ_MS = 5_000;
export const FUZZ = { numRuns: 1_000_000, interruptAfterTimeLimit: FUZZ_MS, markInterruptAsFailure: false } as const;

/** Set `value` at a dotted path as own properties (a `__proto__` key becomes a real member, as JSON.parse makes it). */
export function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = doc;
  for (const k of keys.slice(0, -1)) {
    // A copy of what is there, never the generated value itself (fast-check reuses constant values).
    const here = Object.hasOwn(node, k) ? node[k] : undefined;
    const next = here !== null && typeof here === 'object' && !Array.isArray(here) ? { ...(here as Record<string, unknown>) } : {};
    Object.defineProperty(node, k, { value: next, enumerable: true, writable: true, configurable: true });
    node = next;
  }
  Object.defineProperty(node, keys.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
}

const FIELDS = [
  'name',
  'externalReferenceId',
  'status',
  'substatus',
  'type',
  'qualification',
  'salesStage',
  'favorite',
  'statusReason',
  'consent',
  'consent.consentToShareReferralWithMicrosoftSellers',
  'consent.consentToShareInfoWithOthers',
  'details',
  'details.dealValue',
  'details.currency',
  'details.closingDateTime',
  'details.notes',
  'details.requirements.solutions',
  'customerProfile',
  'customerProfile.name',
  'customerProfile.address.country',
  'customerProfile.team',
  'team',
  'team.0.email',
  'inviteContext',
  'inviteContext.assistanceRequestCode',
  'inviteContext.invitedBy',
  'target',
  'engagementId',
  'id',
  'organizationId',
  'organizationName',
  'trackingInfo.microsoftMsxId',
  'stageHistory',
  'dealType',
  'acceptedDateTime',
  'closedDateTime',
  'expirationDateTime',
  'createdDateTime',
  'links',
  'eTag',
  '__proto__',
  '__proto__.polluted',
  'constructor',
  'constructor.prototype.polluted',
  'details.__proto__.polluted',
  'prototype',
];
export const field = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
export const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc
    .constantFrom<unknown>(
      null,
      '',
      'Won',
      'Closed',
      'Shared',
      'Independent',
      'Close',
      'msft',
      'US',
      'XX',
      'USD',
      true,
      false,
      0,
      -1,
      2 ** 53 + 2,
      1e308,
      '0000-01-01T00:00:00Z',
      '2026-06-30T00:00:00Z',
      'not a date',
      {},
      [],
      [{}],
      { id: 'victim' },
      [{ id: 'SA-1', type: 'SolutionAssessment' }],
      { microsoftMsxId: 'MSX' },
      [{ firstName: 'A', lastName: 'B', phoneNumber: '+1 425 555 0100', email: 'a@b.example' }],
    )
    .map((v) => structuredClone(v)), // a fresh copy per use: a generated value is never shared
);

/** A create body: a complete deal (or nothing) with up to four hostile edits, serialised as JSON text. */
export const createBody = fc.tuple(fc.array(fc.tuple(field, value), { maxLength: 4 }), fc.boolean()).map(([edits, fromScratch]) => {
  const body: Record<string, unknown> = fromScratch ? {} : (JSON.parse(JSON.stringify(deal())) as Record<string, unknown>);
  for (const [path, v] of edits) setPath(body, path, v);
  return JSON.stringify(body);
});

const pointer = fc.oneof(
  { weight: 4, arbitrary: field.map((f) => `/${f.split('.').join('/')}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '/',
      '/team/-',
      '/team/0',
      '/team/99',
      '/details/requirements/solutions/-',
      '/~1',
      '/~0',
      '/a~2b',
      '/__proto__/org',
      '/Consent/ConsentToShareReferralWithMicrosoftSellers',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const op = fc.record(
  { op: fc.constantFrom('add', 'replace', 'remove', 'move', 'copy', 'test', 'REPLACE', ''), path: pointer, value, from: pointer },
  { requiredKeys: ['op', 'path'] },
);
// Plausible edits too, so the fuzz also walks accepted updates (and the ETag moves).
const plausible = fc.oneof(
  fc.record({ op: fc.constant('replace'), path: fc.constant('/name'), value: fc.string({ minLength: 1, maxLength: 20 }) }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('/details/notes'), value: fc.string({ maxLength: 20 }) }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('/favorite'), value: fc.boolean() }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('/details/dealValue'), value: fc.integer({ min: -5, max: 2 ** 31 }) }),
  fc.record({ op: fc.constant('replace'), path: fc.constant('/salesStage'), value: fc.constantFrom('Qualify', 'Develop', 'Propose', 'Close', 'Won', null) }),
);
export const patchBody = fc.oneof(
  { weight: 4, arbitrary: fc.array(op, { minLength: 1, maxLength: 4 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(plausible, op), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** `$filter` texts: a small OData grammar over real and hostile names, plus arbitrary strings. */
export function filterArb(victimId: string): fc.Arbitrary<string> {
  const prop = fc.constantFrom(
    'name',
    'status',
    'substatus',
    'id',
    'externalReferenceId',
    'organizationId',
    'engagementId',
    'createdDateTime',
    'updatedDateTime',
    'details/dealValue',
    'details/closingDateTime',
    'customerProfile/address/country',
    'Status',
    'favorite',
    'dealType',
    'team',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'nope',
    '$it',
    '@p',
    't/email',
  );
  const lit = fc.oneof(
    fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.integer().map(String),
    fc.constantFrom(
      'null',
      'true',
      'false',
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      '1.5e400',
      "'2026-13-45'",
      `'${victimId}'`,
      "'VICTIM-FUZZ'",
      "duration'P1D'",
      '-0',
      "'",
      '["x"]',
      '["x',
      '{"a":1}',
      '%5B%22x',
    ),
  );
  const cmp = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'has', 'add', 'in', 'mul');
  const fn = fc.constantFrom(
    'contains',
    'startswith',
    'endswith',
    'tolower',
    'toupper',
    'now',
    'maxdatetime',
    'mindatetime',
    'year',
    'length',
    'substring',
    'concat',
    'indexof',
    'trim',
    'round',
    'cast',
    'isof',
    'date',
  );
  const leaf = fc.oneof(
    fc.tuple(prop, cmp, lit).map(([p, c, l]) => `${p} ${c} ${l}`),
    fc.tuple(fn, prop, lit, cmp, lit).map(([f, p, a, c, l]) => `${f}(${p}, ${a}) ${c} ${l}`),
    fc.tuple(fn, prop).map(([f, p]) => `${f}(${p})`),
    fc.tuple(fn, cmp, prop).map(([f, c, p]) => `${f}() ${c} ${p}`),
    fc.tuple(cmp, lit).map(([c, l]) => `team/any(t:t/email ${c} ${l})`),
    fc.tuple(cmp, lit).map(([c, l]) => `team/all(x:x/lastName ${c} ${l})`),
    prop,
  );
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, o, b]) => `${a} ${o} ${b}`),
      tie('expr').map((e) => `not ${e}`),
      tie('expr').map((e) => `(${e})`),
    ),
  }));
  return fc.oneof({ weight: 5, arbitrary: expr }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });
}
