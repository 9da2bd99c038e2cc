/** Progress for long work: a bar on a TTY, nothing but the final summary line otherwise. */
import cliProgress from 'cli-progress';
import type { CycleResult } from '../sync/index.js';

export interface ProgressReporter {
  update(e: { phase: string; records: number }): void;
  done(): void;
}

export function progressReporter(name: string, stream: NodeJS.WriteStream = process.stdout): ProgressReporter {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${name.padEnd(18)} {phase} {value} records read`, stream, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  bar.start(0, 0, { phase: 'starting' });
  return {
    update(e) {
      total += e.records;
      bar.update(total, { phase: e.phase.padEnd(9) });
    },
    done() {
      bar.stop();
    },
  };
}

export function summaryLine(name: string, r: CycleResult): string {
  const c = r.counts;
  return (
    `${name}: created ${c.created}, updated ${c.updated}, written back ${c.writtenBack}, created in CRM ${c.createdInCrm}, ` +
    `blocked ${c.blocked}, conflicts ${c.conflicts}, issues ${c.issues} seen this run / ${r.openIssues} open ` +
    `(read ${c.pulledCrm} CRM / ${c.pulledReferrals} referral changes; ${c.crmCalls} CRM + ${c.referralCalls} referral API calls)` +
    (r.interrupted ? ' — interrupted, resumes from the last checkpoint' : '')
  );
}
