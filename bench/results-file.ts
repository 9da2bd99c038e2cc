/**
 * bench/RESULTS.md holds hand-written sections too (distributed mode, HTTP surface, console): `npm run bench`
 * rewrites only its own section, between two markers, and keeps the rest of the file as it is.
 */
export const START = '<!-- npm run bench: start (generated, edits here are overwritten) -->';
export const END = '<!-- npm run bench: end -->';

/** The document with `section` between the markers: replaced where they are, else put first under the title. */
export function withBenchSection(doc: string | null, section: string): string {
  const block = `${START}\n${section.trim()}\n${END}`;
  const title = '# Benchmark results';
  if (!doc) return `${title}\n\n${block}\n`;
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) return doc.slice(0, start) + block + doc.slice(end + END.length);
  // No markers yet: the generated part is what precedes the first hand-written `## ` section.
  const firstSection = doc.search(/^## /m);
  const rest = firstSection >= 0 ? `\n\n${doc.slice(firstSection)}` : '\n';
  return `${title}\n\n${block}${rest}`;
}
