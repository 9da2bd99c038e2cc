import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, readSecret, redact } from '../../../src/runtime/index.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: createLogger({ stream, format: 'json', level: 'debug' }) };
}

describe('redaction', () => {
  it('blanks secret-named keys at any depth, including Authorization headers', () => {
    const out = redact({ headers: { Authorization: 'Bearer abc.def', 'x-api-key': 'k' }, nested: [{ refresh_token: 'r' }], ok: 'fine' });
    expect(out).toEqual({ headers: { Authorization: '[redacted]', 'x-api-key': '[redacted]' }, nested: [{ refresh_token: '[redacted]' }], ok: 'fine' });
  });

  it('masks bearer tokens and JWTs inside free text', () => {
    const { lines, log } = capture();
    log.warn('remote said: Authorization: Bearer eyJhbGciOi.eyJzdWIiOiJ4In0.sig and token=eyJabcdef.eyJabcdef.xyz');
    expect(lines.join('')).not.toMatch(/eyJ/);
    expect(lines.join('')).toMatch(/\[redacted\]/);
  });

  it('masks every secret value read from the environment wherever it appears', () => {
    const secret = 'Sup3r-Secret-Value-123';
    expect(readSecret('TEST_SECRET', { TEST_SECRET: secret })).toBe(secret);
    const { lines, log } = capture();
    log.error('login failed', { detail: `server echoed ${secret} back`, err: new Error(`bad ${secret}`) });
    const text = lines.join('');
    expect(text).not.toContain(secret);
    expect(text).toContain('login failed');
  });

  it('names the variable, never the value, when a secret is missing', () => {
    expect(() => readSecret('MISSING_THING', {})).toThrow(/MISSING_THING \(or MISSING_THING_FILE\) is not set/);
  });
});
