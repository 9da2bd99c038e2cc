/** `npm run bench` rewrites its own section of bench/RESULTS.md and keeps the hand-written ones. */
import { describe, expect, it } from 'vitest';
import { END, START, withBenchSection } from '../../../bench/results-file.js';

const handWritten = '## Distributed mode\n\nmeasured by hand\n\n## Console\n\n| a | b |\n';

describe('withBenchSection', () => {
  it('replaces only what lies between the markers', () => {
    const doc = `# Benchmark results\n\n${START}\nold table\n${END}\n\n${handWritten}`;
    const next = withBenchSection(doc, 'new table');
    expect(next).toBe(`# Benchmark results\n\n${START}\nnew table\n${END}\n\n${handWritten}`);
    expect(withBenchSection(next, 'newer')).toContain(`${START}\nnewer\n${END}\n\n${handWritten}`);
  });

  it('adds the markers to a file written before them, keeping every hand-written section', () => {
    const legacy = `# Benchmark results\n\ncosell-sync benchmarks — old\n\n| B1 | … |\n\nRatios are …\n\n${handWritten}`;
    expect(withBenchSection(legacy, 'table')).toBe(`# Benchmark results\n\n${START}\ntable\n${END}\n\n${handWritten}`);
  });

  it('starts a file that does not exist', () => {
    expect(withBenchSection(null, 'table\n')).toBe(`# Benchmark results\n\n${START}\ntable\n${END}\n`);
  });
});
