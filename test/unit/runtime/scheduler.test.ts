/** The scheduler's runNow: now when idle; once more right after when running; seconds schedules are accepted. */
import { describe, expect, it } from 'vitest';
import { silentLogger, startScheduler } from '../../../src/runtime/index.js';

describe('scheduler.runNow', () => {
  it('runs at once when idle, and once more after the running cycle when asked during it (two asks share it)', async () => {
    const started: number[] = [];
    let release: () => void = () => {};
    const s = startScheduler([{ name: 'sf', schedule: '0 0 1 1 *', run: () => (started.push(Date.now()), new Promise<void>((r) => (release = r))) }], silentLogger);
    const first = s.runNow('sf');
    expect(started).toHaveLength(1);
    const a = s.runNow('sf');
    const b = s.runNow('sf');
    expect(started, 'no second run while the first runs').toHaveLength(1);
    release();
    await first;
    await new Promise((r) => setTimeout(r, 10));
    expect(started, 'one follow-up run for both asks').toHaveLength(2);
    release();
    await Promise.all([a, b]);
    expect(started).toHaveLength(2);
    await expect(s.runNow('nope')).rejects.toThrow("no scheduled job named 'nope'");
    await s.stop();
  });

  it('accepts a seconds schedule (six fields) and runs on it', async () => {
    let runs = 0;
    const s = startScheduler([{ name: 'fast', schedule: '* * * * * *', run: async () => void runs++ }], silentLogger);
    await new Promise((r) => setTimeout(r, 2200));
    await s.stop();
    expect(runs).toBeGreaterThanOrEqual(1);
  });
});
