/**
 * The co-sell columns on Dataverse: what `setup dynamics365` creates, what the default mapping writes back to,
 * and what the sandbox declares (it imports this list, so the two never drift apart).
 */

import { HELP_PICKLIST } from '../../src/domain/index.js';

export type AttrType = 'Uniqueidentifier' | 'String' | 'Memo' | 'Money' | 'Decimal' | 'Integer' | 'DateTime' | 'DateOnly' | 'Boolean' | 'Picklist' | 'State' | 'Status' | 'Lookup';

export interface AttrDef {
  name: string;
  type: AttrType;
  /** Lookup target entity set. */
  target?: string;
  /** Navigation property for a lookup (`parentaccountid`). */
  nav?: string;
  custom?: boolean;
  options?: { value: number; label: string }[];
  readOnly?: boolean;
  maxLength?: number;
  /** Requirement level in the attribute's metadata (default None). */
  required?: 'SystemRequired' | 'ApplicationRequired' | 'Recommended';
}

const custom = (name: string, type: AttrType, extra: Partial<AttrDef> = {}): AttrDef => ({ name, type, custom: true, ...extra });

export const COSELL_COLUMNS: AttrDef[] = [
  custom('cosell_syncwithpartnercenter', 'Boolean'),
  custom('cosell_howcanmicrosofthelp', 'Picklist', { options: HELP_PICKLIST.map((label, i) => ({ value: 100_000_000 + i, label })) }),
  custom('cosell_visibletomicrosoft', 'Boolean'),
  custom('cosell_solutions', 'String', { maxLength: 255 }),
  custom('cosell_referralid', 'String', { maxLength: 100 }),
  custom('cosell_referrallink', 'String', { maxLength: 255 }),
  custom('cosell_referralstatus', 'String', { maxLength: 20 }),
  custom('cosell_referralsubstatus', 'String', { maxLength: 20 }),
  custom('cosell_engagementid', 'String', { maxLength: 100 }),
  custom('cosell_microsoftcrmid', 'String', { maxLength: 100 }),
  custom('cosell_syncstatus', 'String', { maxLength: 255 }),
  custom('cosell_declinereason', 'String', { maxLength: 255 }),
  custom('cosell_lossreason', 'String', { maxLength: 255 }),
  // Deal registration (issue 17): the rep's checkbox and contract name, and the review's progress.
  custom('cosell_registerdeal', 'Boolean'),
  custom('cosell_contractname', 'String', { maxLength: 255 }),
  custom('cosell_registrationstatus', 'String', { maxLength: 20 }),
  custom('cosell_registrationreason', 'String', { maxLength: 255 }),
  custom('cosell_registrationactionrequired', 'Boolean'),
  custom('cosell_registrationline', 'String', { maxLength: 255 }),
];

/** The task column carrying a notification's event key (issue 17). */
export const COSELL_TASK_COLUMNS: AttrDef[] = [custom('cosell_eventkey', 'String', { maxLength: 255 })];
