/**
 * JSON Patch (RFC 6902, `add` / `replace` only — what Partner Center accepts) applied by `fast-json-patch`
 * (RFC 6901 pointers, array bounds, its `__proto__` / `constructor/prototype` ban), limited to the paths a
 * caller may write (`writable`, from `writable.ts`). Pure: returns a new document or the problem.
 *
 * (decision) Partner Center clients `replace` members the stored referral may not carry yet (e.g.
 * `/details/campaignId`, `/inviteContext/assistanceRequestCode`); a `replace` on a missing *object member*
 * therefore sets it, creating missing parent objects (as own properties, checked with `Object.hasOwn`, so a
 * pointer never walks into an inherited property). Whether the member exists in the referral schema is decided
 * afterwards by strict schema validation. Array indexes must exist (`replace`) or be at most the length (`add`).
 */
import jsonpatch from 'fast-json-patch';
import { normalizeKey, normalizeKeys, type PatchOp } from '../domain/index.js';
import { under } from './writable.js';

/** On failure, `path` names the field the op addressed (or the op, for the root). */
export type PatchResult = { ok: true; doc: Record<string, unknown> } | { ok: false; path: string; message: string };

/** Never a property of a referral, whatever the object: refused before any lookup. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const INDEX = /^(-|0|[1-9][0-9]*)$/;

/** Pointer segments, unescaped, each normalised like a body key (Partner Center binds keys case-insensitively). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => normalizeKey(jsonpatch.unescapePathComponent(s)));
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `team/0/email` → `team.email`: the field a pointer writes, as the allow-list names it. */
const fieldOf = (segs: readonly string[]) => segs.filter((s) => !INDEX.test(s)).join('.');

/** Why the caller may not write `segs`, or null. */
function refusal(segs: string[], writable: readonly string[]): string | null {
  if (segs.length === 0) return 'the whole document cannot be replaced';
  const bad = segs.find((s) => FORBIDDEN.has(s));
  if (bad) return `'${bad}' is not a property of a referral`;
  const field = fieldOf(segs);
  if (!under(field, writable)) return `${field} is not writable here (writable: ${writable.join(', ')})`;
  return null;
}

/** Create the missing object parents of `segs` (own properties only); an inherited or non-object one is an error. */
function ensureParents(doc: Record<string, unknown>, segs: string[]): string | null {
  let node: unknown = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (Array.isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg) || Number(seg) >= node.length) return `no element '${seg}' in the array at /${segs.slice(0, i).join('/')}`;
      node = node[Number(seg)];
    } else if (isObj(node)) {
      // A missing container is created as what the next segment addresses (`/team/-` on no team: an array).
      if (!Object.hasOwn(node, seg) || node[seg] == null) node[seg] = INDEX.test(segs[i + 1]!) ? [] : {};
      node = node[seg];
    } else {
      return `/${segs.slice(0, i).join('/')} is not an object or array`;
    }
  }
  return isObj(node) || Array.isArray(node) ? null : `the parent of /${segs.join('/')} is not an object or array`;
}

function applyOne(doc: Record<string, unknown>, op: PatchOp, segs: string[], writable: readonly string[]): string | null {
  const refused = refusal(segs, writable);
  if (refused) return refused;
  if (op.value === undefined) return 'a value is required';
  const missing = ensureParents(doc, segs);
  if (missing) return missing;
  const path = `/${segs.map(jsonpatch.escapePathComponent).join('/')}`;
  const parent = segs.slice(0, -1).reduce<unknown>((n, s) => (n as Record<string, unknown>)[s], doc);
  // `replace` of an absent object member sets it (see the header); the library's `replace` requires it to exist.
  const kind = op.op === 'replace' && isObj(parent) && !Object.hasOwn(parent, segs[segs.length - 1]!) ? 'add' : op.op;
  try {
    jsonpatch.applyOperation(doc, { op: kind, path, value: normalizeKeys(op.value) }, true, true, true);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
}

/** Apply ops in order; `onStep` sees the document after each op (to record successive stage moves). */
export function applyPatch(doc: Record<string, unknown>, ops: readonly PatchOp[], writable: readonly string[], onStep?: (doc: Record<string, unknown>) => void): PatchResult {
  // JSON round trip: the documents are JSON already, and this is much faster than structuredClone.
  const out = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  for (const [i, op] of ops.entries()) {
    const segs = parsePointer(op.path);
    const problem = applyOne(out, op, segs, writable);
    if (problem) return { ok: false, path: fieldOf(segs) || `[${i}].path`, message: `${op.path}: ${problem}` };
    onStep?.(out);
  }
  return { ok: true, doc: out };
}
