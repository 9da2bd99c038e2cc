export { plan, stageMoveProblem, type Action, type Plan, type PlanInput, type FieldPolicy, type Blocked, type FieldConflict } from './plan.js';
export { runCycle, type CycleDeps, type CycleResult, type PlannedRecord } from './engine.js';
export { syncRecord, statusOf, MAX_REPLANS } from './record.js';
export { renderStatusLine, statusMeaning } from './status-line.js';
export { syncReferralNow, type TargetedConnection, type TargetedDeps } from './targeted.js';
export { withSyncLog } from './sync-log.js';
export type { MappingPort, ReferralsPort, ReferralPage, ReferralWithEtag } from './ports.js';
