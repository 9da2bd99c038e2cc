import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api.js';

/** The hash route as path segments (`#/log/12` → ['log', '12']), updated on navigation. */
export function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `read` only reads window.location; subscribe once.
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (...segments: (string | number)[]) => `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload(): void;
}

/** Load with `fn` whenever `deps` change; with `everyMs`, poll too (live pages), keeping the last data on screen. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `fn` is a new closure every render; the caller's `deps` say when it means something new.
  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    fn().then(
      (d) => call === latest.current && (setData(d), setError(null), setLoading(false)),
      (e: unknown) => call === latest.current && (setError(e instanceof ApiError || e instanceof Error ? e.message : String(e)), setLoading(false)),
    );
    // `fn` is a new closure every render: the caller's `deps` say when it means something new.
  }, [...deps, tick]);
  useEffect(() => {
    if (!everyMs) return;
    const t = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return { data, error, loading, reload: useCallback(() => setTick((n) => n + 1), []) };
}

/** Run an action (a button): busy while it runs, then a sentence saying what happened or what went wrong. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = useCallback(async (fn: () => Promise<string>) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await fn() });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, message, run };
}
