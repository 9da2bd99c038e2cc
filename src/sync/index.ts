export { plan, stageMoveProblem, type Action, type Plan, type PlanInput, type FieldPolicy, type Blocked, type FieldConflict } from './plan.js';
export { runCycle, type CycleDeps, type CycleResult, type PlannedRecord } from './engine.js';
export { syncRecord, statusOf, MAX_REPLANS } from './record.js';
export { renderStatusLine, statusMeaning } from './status-line.js';
export type { MappingPort, ReferralsPort, ReferralPage, ReferralWithEtag } from './ports.js';
export { syncRegistrations, registrationLine, type RegistrationCounts } from './registration.js';
export { notifyRep, type Notification, type NotifyCounts } from './notify.js';
export { afterCycle } from './after-cycle.js';
