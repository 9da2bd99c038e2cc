/** A run's counts as pages add to them; a record's issue or conflict that comes up in several phases counts once. */
import { emptyCounts, type RunCounts } from '../state/index.js';

type Counted = Exclude<keyof RunCounts, 'crmBudget'>;

export interface RunTally {
  readonly counts: RunCounts;
  add(counts: Partial<Record<Counted, number>>): void;
  issue(key: string): void;
  conflict(key: string): void;
}

export function runTally(): RunTally {
  const counts = emptyCounts();
  const issues = new Set<string>();
  const conflicts = new Set<string>();
  return {
    counts,
    add(more) {
      for (const [k, n] of Object.entries(more) as [Counted, number][]) counts[k] += n;
    },
    issue(key) {
      if (!issues.has(key)) counts.issues++;
      issues.add(key);
    },
    conflict(key) {
      if (!conflicts.has(key)) counts.conflicts++;
      conflicts.add(key);
    },
  };
}
