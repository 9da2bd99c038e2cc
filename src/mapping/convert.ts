/**
 * Value converters between CRM fields and deal fields. Each returns a value or a problem in words an admin
 * understands; none throws. Country names and codes go through i18n-iso-countries, phones through
 * libphonenumber-js.
 */
// The library's own entry, not the package's Node entry, which registers all 80 locales (English is the only one used).
import countries from 'i18n-iso-countries/index.js';
import en from 'i18n-iso-countries/langs/en.json' with { type: 'json' };
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { isEmail, isIsoCurrency } from '../domain/index.js';

countries.registerLocale(en);

export const CONVERTERS = ['text', 'number', 'money', 'date', 'datetime', 'country', 'currency', 'phone', 'email', 'list', 'boolean'] as const;
export type ConverterName = (typeof CONVERTERS)[number];

export type Converted = { ok: true; value: unknown } | { ok: false; problem: string };
/** Empty is the commonest answer: one shared, frozen result instead of a new object per empty field. */
const NOTHING: Converted = Object.freeze({ ok: true, value: null });
const ok = (value: unknown): Converted => (value === null ? NOTHING : { ok: true, value });
const bad = (problem: string): Converted => ({ ok: false, problem });

const EMPTY = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** Common alternative names an ISO list does not know. */
const COUNTRY_ALIASES: Record<string, string> = { USA: 'US', UK: 'GB', 'GREAT BRITAIN': 'GB', ENGLAND: 'GB', HOLLAND: 'NL', 'THE NETHERLANDS': 'NL', 'KOREA, REPUBLIC OF': 'KR' };

/** Country names repeat across records: remember each answer (bounded) instead of searching the name list again. */
function memo(fn: (s: string) => Converted, limit = 20_000): (s: string) => Converted {
  const cache = new Map<string, Converted>();
  return (s) => {
    let r = cache.get(s);
    if (!r) {
      r = fn(s);
      if (cache.size >= limit) cache.clear();
      cache.set(s, r);
    }
    return r;
  };
}

const countryOf = memo((s) => {
  const upper = s.toUpperCase();
  if (/^[A-Z]{2}$/.test(upper) && countries.isValid(upper)) return ok(upper);
  if (/^[A-Z]{3}$/.test(upper)) {
    const a2 = countries.alpha3ToAlpha2(upper);
    if (a2) return ok(a2);
  }
  const alias = COUNTRY_ALIASES[upper];
  if (alias) return ok(alias);
  const code = countries.getAlpha2Code(s, 'en');
  return code ? ok(code) : bad(`'${s}' is not a country (use a country name like "Netherlands" or an ISO code like "NL")`);
});

export function toCountry(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  return countryOf(String(v).trim());
}

export function toMoney(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  if (typeof v === 'number') return Number.isFinite(v) ? ok(Math.round(v * 100) / 100) : bad(`${v} is not an amount`);
  // Accept "12,500.00", "12.500,00", "€ 12 500": the last separator followed by 1–2 digits is the decimal one.
  const s = String(v).replace(/[^\d.,-]/g, '');
  const m = /^(-?[\d.,]*?)(?:[.,](\d{1,2}))?$/.exec(s);
  if (!m?.[1] || !/\d/.test(m[1])) return bad(`'${String(v)}' is not an amount`);
  const n = Number(`${m[1].replace(/[.,]/g, '')}.${m[2] ?? '0'}`);
  return Number.isFinite(n) ? ok(Math.round(n * 100) / 100) : bad(`'${String(v)}' is not an amount`);
}

export function toNumber(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isFinite(n) ? ok(n) : bad(`'${String(v)}' is not a number`);
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, f);
  }
  return f;
}

/** A date-only value (YYYY-MM-DD). Datetimes are read in `timeZone` (default UTC) so 23:30 at -05:00 keeps its day. */
export function toDate(v: unknown, timeZone = 'UTC'): Converted {
  if (EMPTY(v)) return ok(null);
  const s = String(v).trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Number.isNaN(Date.parse(`${s}T00:00:00Z`)) ? bad(`'${s}' is not a date`) : ok(s);
  const t = Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(t)) return bad(`'${s}' is not a date (expected YYYY-MM-DD or an ISO date-time)`);
  return ok(dayFormat(timeZone).format(new Date(t)));
}

export function toDateTime(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  const t = Date.parse(
    String(v)
      .trim()
      .replace(/([+-]\d{2})(\d{2})$/, '$1:$2'),
  );
  return Number.isNaN(t) ? bad(`'${String(v)}' is not a date-time`) : ok(new Date(t).toISOString());
}

export function toCurrency(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  const s = String(v).trim().toUpperCase();
  return isIsoCurrency(s) ? ok(s) : bad(`'${String(v)}' is not an ISO 4217 currency code (e.g. USD, EUR)`);
}

const phones = new Map<string, (s: string) => Converted>();
export function toPhone(v: unknown, defaultCountry?: string): Converted {
  if (EMPTY(v)) return ok(null);
  const key = defaultCountry ?? '';
  let parse = phones.get(key);
  if (!parse) {
    parse = memo((s) => {
      const p = parsePhoneNumberFromString(s, (defaultCountry as never) ?? undefined);
      // A referral's phone number has no room for an extension: say so rather than drop it.
      if (p?.isPossible() && p.ext) return bad(`'${s}' has an extension (${p.ext}), which a referral's phone number cannot hold; give a direct number`);
      if (p?.isPossible()) return ok(p.number);
      return /^\+?[\d\s().-]{6,}$/.test(s) ? ok(s) : bad(`'${s}' is not a phone number`);
    });
    phones.set(key, parse);
  }
  return parse(String(v).trim());
}

export function toEmail(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  const s = String(v).trim();
  return isEmail(s) ? ok(s.toLowerCase()) : bad(`'${s}' is not an e-mail address`);
}

/** Items once each, in order (`SOL-A;SOL-A` is one solution). */
export function toList(v: unknown): Converted {
  if (EMPTY(v)) return ok([]);
  const items = Array.isArray(v)
    ? v.map((x) => String(x).trim())
    : String(v)
        .split(/[;,\n]/)
        .map((x) => x.trim());
  return ok([...new Set(items.filter(Boolean))]);
}

export function toBoolean(v: unknown): Converted {
  if (EMPTY(v)) return ok(false);
  if (typeof v === 'boolean') return ok(v);
  if (typeof v === 'number') return ok(v !== 0);
  const s = String(v).trim().toLowerCase();
  if (['true', 'yes', 'y', '1', 'ja'].includes(s)) return ok(true);
  if (['false', 'no', 'n', '0', 'nee'].includes(s)) return ok(false);
  return bad(`'${String(v)}' is not yes/no`);
}

/** Control characters (not tab or line breaks) and the spaces around them become one space. */
const CONTROL = /\s*[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]+\s*/g;

export function toText(v: unknown): Converted {
  if (EMPTY(v)) return ok(null);
  const s = (typeof v === 'string' ? v : String(v)).replace(CONTROL, ' ').trim();
  return ok(s === '' ? null : s);
}

export function converter(name: ConverterName, opts: { timeZone?: string; defaultCountry?: string } = {}): (v: unknown) => Converted {
  switch (name) {
    case 'text':
      return toText;
    case 'number':
      return toNumber;
    case 'money':
      return toMoney;
    case 'date':
      return (v) => toDate(v, opts.timeZone);
    case 'datetime':
      return toDateTime;
    case 'country':
      return toCountry;
    case 'currency':
      return toCurrency;
    case 'phone':
      return (v) => toPhone(v, opts.defaultCountry);
    case 'email':
      return toEmail;
    case 'list':
      return toList;
    case 'boolean':
      return toBoolean;
  }
}
