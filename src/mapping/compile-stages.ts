/** Compiling the stage part of a mapping: reading a co-sell stage from CRM fields and writing one back. */
import type { DealStage } from '../domain/index.js';
import { compilePath } from './compile-source.js';
import type { Mapping, StageTarget } from './schema.js';

export interface StageRead {
  stage: DealStage | null;
  problem?: string;
}

export function compileStages(m: Mapping) {
  const stageGet = compilePath(m.stages.field);
  const rules = m.stages.rules.map((r) => ({ get: compilePath(r.field), equals: String(r.equals), stage: r.stage }));
  const prob = m.stages.byProbability ? { get: compilePath(m.stages.byProbability.field), ranges: m.stages.byProbability.ranges } : null;
  const stageMap = new Map(Object.entries(m.stages.map));
  const closedRules = rules.filter((r) => r.stage === 'Won' || r.stage === 'Lost');

  // One answer object per target, made once: reading a stage allocates nothing.
  const answers = new Map<StageTarget, StageRead>();
  const resolve = (t: StageTarget): StageRead => {
    let a = answers.get(t);
    if (!a) answers.set(t, (a = Object.freeze(t === 'ignore' ? { stage: null } : { stage: t })));
    return a;
  };
  const stageOf = (fields: Record<string, unknown>): StageRead => {
    for (const r of rules) if (String(r.get(fields) ?? '') === r.equals) return resolve(r.stage);
    const raw = stageGet(fields);
    const value = raw === null || raw === undefined ? '' : String(raw);
    const hit = stageMap.get(value);
    if (hit) return resolve(hit);
    if (prob) {
      const p = Number(prob.get(fields));
      const range = Number.isFinite(p) ? prob.ranges.find((r) => p >= r.min && p <= r.max) : undefined;
      if (range) return resolve(range.stage);
    }
    return { stage: null, problem: `${m.stages.field} '${value}' is not mapped to a co-sell stage (add it under stages.map)` };
  };

  const derivedWrite = new Map<string, string>();
  for (const [value, target] of Object.entries(m.stages.map)) if (!derivedWrite.has(target)) derivedWrite.set(target, value);

  const crmStageFor = (stage: DealStage): { fields: Record<string, unknown>; close?: 'won' | 'lost' } => {
    const explicit = m.stages.write[stage];
    if (explicit !== undefined) {
      if (typeof explicit === 'object' && explicit !== null) return { fields: { ...explicit.fields }, ...(explicit.close ? { close: explicit.close } : {}) };
      return { fields: { [m.stages.field]: explicit } };
    }
    const value = derivedWrite.get(stage) ?? (stage === 'expired' || stage === 'declined' ? derivedWrite.get('Lost') : undefined);
    return value === undefined ? { fields: {} } : { fields: { [m.stages.field]: value } };
  };

  /** The stage the CRM reads after a stage is written: many CRM values may share one stage, and a close is Won/Lost. */
  const stageReadBack = (stage: DealStage): DealStage => {
    const w = crmStageFor(stage);
    const read = Object.keys(w.fields).length ? stageOf(w.fields).stage : null;
    if (w.close) return read === 'Won' || read === 'Lost' || read === 'declined' ? read : w.close === 'won' ? 'Won' : 'Lost';
    return read ?? stage;
  };
  /** How the CRM closes a record that reaches `stage`; undefined when it does not, or `current` is already closed. */
  const closeFor = (stage: DealStage, current?: Record<string, unknown>): { outcome: 'won' | 'lost'; reason?: string } | undefined => {
    const w = crmStageFor(stage);
    if (!w.close) return undefined;
    // A record a Won/Lost rule already matches (Dataverse statecode 1/2) is closed: closing again would fail.
    if (current && closedRules.some((r) => String(r.get(current) ?? '') === r.equals)) return undefined;
    return { outcome: w.close };
  };
  return { stageOf, crmStageFor, stageReadBack, closeFor, mappedStageValues: () => [...stageMap.keys()] };
}

export type CompiledStages = ReturnType<typeof compileStages>;
