/**
 * The first stage of compiling a mapping: each deal field's source (a path, a template, a converter) made into
 * plain functions, and the tables the other stages share.
 */
import { HELP_TYPES } from '../domain/index.js';
import { converter, type Converted, type ConverterName } from './convert.js';
import type { Source } from './schema.js';

export type Getter = (fields: Record<string, unknown>) => unknown;

/** `head.leaf` from a record, or the whole path as one flat key when the record has no `head` (see compilePath). */
export function readTwo(f: Record<string, unknown>, head: string, leaf: string, path: string): unknown {
  const h = f[head];
  if (h === undefined) return f[path];
  return h !== null && typeof h === 'object' ? (h as Record<string, unknown>)[leaf] : undefined;
}

/**
 * `Account.BillingCountry` → reads nested objects. When the record has no field by the first segment, the whole
 * path is read as one flat key (Dataverse annotations such as `estimatedvalue@OData.Community.Display.V1…`).
 */
export function compilePath(path: string): Getter {
  const parts = path.split('.');
  if (parts.length === 1) return (f) => f[path];
  const [head, leaf] = parts as [string, string];
  if (parts.length === 2) return (f) => readTwo(f, head, leaf, path);
  return (f) => {
    if (f[head] === undefined) return f[path];
    let v: unknown = f;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  };
}

export interface CompiledSource {
  /** CRM field paths read (for the connector's pull and for `check`). */
  reads: string[];
  /** The plain CRM field this source could be written back to (no relationship path, no template). */
  writable: string | null;
  get(fields: Record<string, unknown>): Converted;
  /** Put before a conversion problem so it names the CRM field (empty for constants and templates). */
  problemPrefix: string;
  /** A plain field read (no default, no value map): the path and converter, so the record loop reads it inline. */
  direct?: { path: string; conv: (v: unknown) => Converted };
  /** True when the record has no value and the mapping's default stands in (a default is not a CRM edit). */
  defaulted?: (fields: Record<string, unknown>) => boolean;
  /** Deal value → CRM value (inverse map; dates and numbers as they are). */
  toCrm(value: unknown): unknown;
  label: string;
}

const TEMPLATE_VAR = /\{([^}]+)\}/g;

const isBlank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** YAML map keys are strings; option-set values (Dataverse) are integers on the wire. */
export function crmValue(v: unknown): unknown {
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
}

export function compileSource(src: Source, defaultConvert: ConverterName, opts: { timeZone: string }): CompiledSource {
  if (typeof src === 'string') return compileSource({ field: src }, defaultConvert, opts);
  if ('value' in src) {
    return { reads: [], writable: null, problemPrefix: '', get: () => ({ ok: true, value: src.value }), toCrm: (v) => v, label: `constant ${JSON.stringify(src.value)}` };
  }
  if ('template' in src) {
    const vars = [...src.template.matchAll(TEMPLATE_VAR)].map((m) => m[1]!);
    // Split once into literal text and field reads: a record is then a few concatenations.
    const literals = src.template.split(TEMPLATE_VAR).filter((_, i) => i % 2 === 0);
    const getters = vars.map(compilePath);
    const conv = converter(src.convert ?? defaultConvert, opts);
    return {
      reads: vars,
      writable: null,
      problemPrefix: '',
      get: (f) => {
        let text = literals[0]!;
        for (let i = 0; i < getters.length; i++) text += String(getters[i]!(f) ?? '') + literals[i + 1]!;
        return conv(text.trim());
      },
      toCrm: (v) => v,
      label: `template "${src.template}"`,
    };
  }
  const get = compilePath(src.field);
  const conv = converter(src.convert ?? defaultConvert, opts);
  const map = src.map;
  const inverse = map ? new Map(Object.entries(map).map(([k, v]) => [String(v), k])) : null;
  const fallback = src.default;
  return {
    reads: [src.field],
    writable: src.field.includes('.') ? null : src.field,
    problemPrefix: `${src.field}: `,
    ...(map === undefined && fallback === undefined ? { direct: { path: src.field, conv } } : {}),
    ...(fallback !== undefined ? { defaulted: (f: Record<string, unknown>) => isBlank(get(f)) } : {}),
    // Most fields have neither a default nor a value map: read and convert, nothing else per record.
    get:
      map === undefined && fallback === undefined
        ? (f) => conv(get(f))
        : (f) => {
            let raw = get(f);
            if (isBlank(raw) && fallback !== undefined) raw = fallback;
            if (map && raw !== null && raw !== undefined) {
              const key = String(raw);
              if (key in map) raw = map[key];
            }
            return conv(raw);
          },
    toCrm: (v) => (inverse && v !== null && v !== undefined ? crmValue(inverse.get(String(v)) ?? v) : v),
    label: src.field,
  };
}

export const HELP_TYPE_SET: ReadonlySet<string> = new Set(HELP_TYPES);

/** Per deal field: its converter when the admin names none. */
export const DEFAULT_CONVERT: Record<string, ConverterName> = {
  value: 'money',
  currency: 'currency',
  closeDate: 'date',
  'customer.country': 'country',
  solutions: 'list',
  'contact.email': 'email',
  'contact.phone': 'phone',
  'team.email': 'email',
  'team.phone': 'phone',
};

/** Required for a new referral; an empty one is named by its CRM field so the admin knows what to fill in. */
export const REQUIRED: Record<string, string> = {
  name: 'the deal name',
  'customer.name': "the customer's name",
  'customer.country': "the customer's country",
  value: 'the estimated value',
  currency: 'the currency',
  closeDate: 'the estimated close date',
};

/** Every mapped deal field (`customer.name`) with its compiled source, in mapping order. */
export type Flat = [string, CompiledSource][];
