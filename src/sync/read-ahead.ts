/**
 * Iterate pages while the next one is already on its way: the engine works on page N while page N+1 is read,
 * so neither the CRM query nor the page's processing waits for the other. At most one page is read ahead.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      // If the consumer stops before awaiting it, a failed read ahead is not an unhandled rejection.
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    // Stopped early (break, abort, error): the source finishes its own cleanup after the pending read.
    await it.return?.(undefined);
  }
}
