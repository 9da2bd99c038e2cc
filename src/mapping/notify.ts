/**
 * The mapping's `notify:` section (issue 17): which co-sell events become a task for the rep on the
 * opportunity, with subject and description templates. An event not listed creates no task.
 */
import { z } from 'zod';

export const NOTIFY_EVENTS = ['inbound', 'declined', 'expired', 'registrationActionRequired', 'registrationPassed', 'registrationFailed'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Values a template may use, e.g. `New Microsoft referral: {name}`. */
export const NOTIFY_PLACEHOLDERS = ['name', 'customer', 'reason', 'link', 'referralId', 'status'] as const;
export type NotifyValues = Partial<Record<(typeof NOTIFY_PLACEHOLDERS)[number], string | null>>;

const template = z.string().superRefine((text, ctx) => {
  for (const m of text.matchAll(/\{([^}]*)\}/g)) {
    if (!(NOTIFY_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {${m[1]}} (use ${NOTIFY_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})` });
    }
  }
});

const taskTemplate = z.strictObject({ subject: template.pipe(z.string().min(1).max(200)), description: template.default('') });

export const notifySectionSchema = z.partialRecord(z.enum(NOTIFY_EVENTS), taskTemplate);
export type NotifySection = z.infer<typeof notifySectionSchema>;

/** Fill a template; a missing value becomes an empty string. */
export function renderNotifyTemplate(text: string, values: NotifyValues): string {
  return text.replace(/\{([a-zA-Z]+)\}/g, (_m, k: string) => values[k as keyof NotifyValues] ?? '').trim();
}
