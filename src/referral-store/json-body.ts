/**
 * The store's JSON body parser: nesting deeper than MAX_DEPTH is refused before parsing (a body nested
 * thousands of levels deep would otherwise overflow the stack of every recursive walk after it), then
 * fastify's own parser runs with `__proto__` / `constructor.prototype` keys refused.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.js';

/** A referral is 5 levels deep; generous room for `additionalRequirements` and the like. */
export const MAX_DEPTH = 32;

export interface Nesting {
  open: string;
  close: string;
  quote: string;
  /** The escape character inside a quoted string, if the syntax has one. */
  escape: string | null;
}
const JSON_NESTING: Nesting = { open: '{[', close: '}]', quote: '"', escape: '\\' };

/** Is `text` nested deeper than `max` (brackets inside quoted strings not counted)? Linear, no recursion. */
export function nestedDeeperThan(text: string, max: number, syntax: Nesting = JSON_NESTING): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === syntax.escape) i++;
      else if (c === syntax.quote) inString = false;
    } else if (c === syntax.quote) inString = true;
    else if (syntax.open.includes(c)) {
      if (++depth > max) return true;
    } else if (syntax.close.includes(c)) depth--;
  }
  return false;
}

/** Use for `application/json` and every `application/…+json` (JSON Patch) body. */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const guarded: typeof parse = (req, body, done) => {
    if (typeof body === 'string' && nestedDeeperThan(body, MAX_DEPTH)) {
      done(new ApiError(400, 'invalidRequest', `the request body is nested deeper than ${MAX_DEPTH} levels`, 'body'), undefined);
      return;
    }
    // The default parser answers through `done`; its type also allows a promise, which it never returns.
    void parse(req, body, done);
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/([a-z.-]+\+)?json/i, { parseAs: 'string' }, guarded);
}
