/**
 * RFC 6902 `add` / `replace` over a plain JSON document (the only ops Partner Center accepts), with RFC 6901
 * pointers (`~0`, `~1`, array indexes, `-` for append). Pure: returns a new document or the problem.
 *
 * (decision) Partner Center clients `replace` members the stored referral may not carry yet (e.g.
 * `/details/campaignId`, `/inviteContext/assistanceRequestCode`); a `replace` on a missing *object member*
 * therefore sets it, creating missing parent objects. Whether the member exists in the referral schema is
 * decided afterwards by strict schema validation, so `/noSuchField` is still rejected naming the path.
 * Array indexes must exist (`replace`) or be at most the length (`add`).
 */
import { normalizeKey, normalizeKeys, type PatchOp } from '../domain/index.js';

export type PatchResult = { ok: true; doc: Record<string, unknown> } | { ok: false; path: string; message: string };

/** Pointer segments, unescaped, each normalised like a body key (Partner Center binds keys case-insensitively). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => normalizeKey(s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function applyOne(doc: Record<string, unknown>, op: PatchOp): string | null {
  const segs = parsePointer(op.path);
  if (segs.length === 0) return 'the whole document cannot be replaced';
  const value = normalizeKeys(op.value);
  let node: unknown = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (Array.isArray(node)) {
      const idx = arrayIndex(seg, node.length - 1);
      if (idx === null) return `no element '${seg}' in the array at /${segs.slice(0, i).join('/')}`;
      node = node[idx];
    } else if (isObj(node)) {
      // A missing container is created as what the next segment addresses (`/team/-` on no team: an array).
      if (node[seg] == null) node[seg] = /^(-|0|[1-9][0-9]*)$/.test(segs[i + 1]!) ? [] : {};
      node = node[seg];
    } else {
      return `/${segs.slice(0, i).join('/')} is not an object or array`;
    }
  }
  const last = segs[segs.length - 1]!;
  if (Array.isArray(node)) {
    if (op.op === 'add') {
      const idx = last === '-' ? node.length : arrayIndex(last, node.length);
      if (idx === null) return `index '${last}' is out of range for add (0..${node.length} or '-')`;
      node.splice(idx, 0, value);
    } else {
      const idx = arrayIndex(last, node.length - 1);
      if (idx === null) return `no element '${last}' to replace (the array has ${node.length})`;
      node[idx] = value;
    }
    return null;
  }
  if (!isObj(node)) return `the parent of ${op.path} is not an object or array`;
  node[last] = value;
  return null;
}

function arrayIndex(seg: string, max: number): number | null {
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) return null;
  const n = Number(seg);
  return n <= max ? n : null;
}

/** Apply ops in order; `onStep` sees the document after each op (to record successive stage moves). */
export function applyPatch(doc: Record<string, unknown>, ops: readonly PatchOp[], onStep?: (doc: Record<string, unknown>) => void): PatchResult {
  // JSON round trip: the documents are JSON already, and this is much faster than structuredClone.
  const out = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  for (const [i, op] of ops.entries()) {
    const problem = applyOne(out, op);
    if (problem) return { ok: false, path: `[${i}].path`, message: `${op.path}: ${problem}` };
    onStep?.(out);
  }
  return { ok: true, doc: out };
}
