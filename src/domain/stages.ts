/** Sales stages of a co-sell deal and their percentages (cosell-rules.md §5). */

/** The four markable stages, in order, as the API spells them. */
export const SALES_STAGES = ['Qualify', 'Develop', 'Propose', 'Close'] as const;
export type SalesStage = (typeof SALES_STAGES)[number];

/** Every point of a deal's progress as one ordered vocabulary (the canonical `stage` the sync compares). */
export const STAGE_PERCENT = {
  Created: 10,
  Accepted: 10,
  Qualify: 20,
  Develop: 40,
  Propose: 60,
  Close: 80,
  Won: 100,
  Lost: 0,
} as const;

/** Names a person reads (the seed's words) for each API stage. */
export const STAGE_LABEL: Record<SalesStage, string> = {
  Qualify: 'Qualified',
  Develop: 'Developed',
  Propose: 'Proposed',
  Close: 'Negotiated',
};

export function stageIndex(stage: SalesStage | null | undefined): number {
  return stage ? SALES_STAGES.indexOf(stage) : -1;
}

export function stagePercent(stage: SalesStage | null | undefined): number {
  return stage ? STAGE_PERCENT[stage] : STAGE_PERCENT.Created;
}

/**
 * The stages to mark complete, in order, to go from `current` to `target` (a later stage, or Won = after Close).
 * Moving backwards or staying put completes nothing.
 */
export function stagesToComplete(current: SalesStage | null | undefined, target: SalesStage | 'Won'): SalesStage[] {
  const from = stageIndex(current);
  const to = target === 'Won' ? SALES_STAGES.length - 1 : stageIndex(target);
  return SALES_STAGES.slice(from + 1, to + 1);
}

/** Won is only possible once every earlier stage is complete. */
export function allStagesComplete(current: SalesStage | null | undefined): boolean {
  return stageIndex(current) === SALES_STAGES.length - 1;
}

/** The nearest standard stage for a probability (for mapping suggestions): 20/40/60/80, below 15 → none. */
export function nearestStage(percent: number): SalesStage | null {
  if (percent < 15) return null;
  let best: SalesStage = 'Qualify';
  for (const s of SALES_STAGES) {
    if (Math.abs(STAGE_PERCENT[s] - percent) < Math.abs(STAGE_PERCENT[best] - percent)) best = s;
  }
  return best;
}
