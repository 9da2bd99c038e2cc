/** Poll `probe` until it gives a value; on time-out the error names what was awaited and the tail of `context()`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000, context: () => string = () => ''): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${context().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
