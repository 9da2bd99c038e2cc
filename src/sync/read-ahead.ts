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

export interface Prefetched<T> extends AsyncIterable<T> {
  /**
   * Give the pages up unread. The read in flight is not waited for (a slow or failing remote must not hold up
   * the cycle that no longer needs it): once it settles, the source cleans up.
   */
  discard(): void;
}

/** Ask a source for its first item now, before anyone iterates it; iterated once, it yields that item first. */
export function prefetchFirst<T>(source: AsyncIterable<T>): Prefetched<T> {
  const it = source[Symbol.asyncIterator]();
  const first = it.next();
  // Nobody may ever await it (a discarded or never-reached read): its failure is reported when it is taken.
  first.catch(() => undefined);
  let taken = false;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (taken) return it.next();
        taken = true;
        return first;
      },
      return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value: undefined },
    }),
    discard() {
      if (taken) return;
      taken = true;
      void first.then(
        () => it.return?.(undefined),
        () => undefined,
      );
    },
  };
}
