/**
 * What runs after a connection's sync cycle, from its mapping: deal registration (`registration:`) and the
 * rep's notifications (`notify:`). A failure here is logged and never fails the cycle.
 */
import type { CrmConnector } from '../../connectors/index.js';
import type { Mapping } from '../mapping/index.js';
import type { NotifyEvent } from '../mapping/index.js';
import { describeError, type Logger } from '../runtime/index.js';
import { HELP_TYPES, type Referral } from '../domain/index.js';
import { invitationNotifications, notifyRep, referralNotifications, withReferralValues, type Notification } from './notify.js';
import { syncRegistrations, type RegistrationsPort } from './registration.js';

export interface AfterCycleDeps {
  connection: string;
  crm: CrmConnector;
  referrals: RegistrationsPort & { linkFor(id: string): string | null; related(engagementId: string): Promise<Referral[]> };
  mapping: Pick<Mapping, 'registration' | 'notify' | 'writeBack' | 'dealType'>;
  log: Logger;
}

export async function afterCycle(deps: AfterCycleDeps): Promise<void> {
  const { connection, crm, referrals, mapping, log } = deps;
  const spec = mapping.notify;
  const send = spec ? (notes: Notification[]) => notifyRep({ connection, crm, spec, log }, notes, (n) => withReferralValues({ referrals, log }, n)) : undefined;
  const guarded = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      log.warn(`${what} failed`, { connection, error: describeError(err) });
    }
  };
  const registration = mapping.registration;
  // Registration and the notification scans read different records and raise different events (each task has
  // its own event key), so they run at once: each is a CRM query round trip the cycle would otherwise wait out.
  const steps: Promise<void>[] = [];
  if (registration) {
    steps.push(
      guarded('deal registration', () =>
        syncRegistrations({ connection, crm, referrals, spec: registration, referralIdField: mapping.writeBack.referralId, log, ...(send ? { notify: send } : {}) }),
      ),
    );
  }
  if (spec && send) {
    steps.push(
      guarded('notifications', async () => {
        const events = Object.keys(spec) as NotifyEvent[];
        const wb = mapping.writeBack;
        const fromReferrals = referralNotifications(
          { crm, referrals, referralIdField: wb.referralId, ...(wb.status ? { statusField: wb.status } : {}), ...(wb.substatus ? { substatusField: wb.substatus } : {}), log },
          events,
        );
        const help = mapping.dealType.helpType;
        let invitations: Promise<Notification[]> = Promise.resolve([]);
        if (help && wb.engagementId) {
          // "Help requested" values: the mapped ones other than None, or the help types themselves when unmapped.
          const helpValues = help.map
            ? Object.entries(help.map)
                .filter(([, t]) => t !== 'None')
                .map(([v]) => v)
            : [...HELP_TYPES];
          const src = {
            crm,
            referrals,
            helpField: help.field,
            helpValues,
            referralIdField: wb.referralId,
            engagementIdField: wb.engagementId,
            ...(wb.microsoftCrmId ? { microsoftCrmIdField: wb.microsoftCrmId } : {}),
          };
          invitations = invitationNotifications(src, events);
        }
        // Promise.all reports the first failure and still handles the other scan's: none is left unhandled.
        const [notes, invited] = await Promise.all([fromReferrals, invitations]);
        await send([...notes, ...invited]);
      }),
    );
  }
  await Promise.all(steps);
}
