/**
 * `cosell-sync setup partner-center-webhooks --url URL`: register the service's receiver with Partner Center
 * (PUT when a registration exists, POST otherwise) for the four referral events, then ask for a validation event.
 */
import type { Command } from 'commander';
import { resolveFromConfig } from '../../runtime/index.js';
import { cliContext } from '../context.js';

/** The Partner Center API (webhook registration lives there, not on the referrals API's host). */
const PARTNER_CENTER_API = 'https://api.partnercenter.microsoft.com';

export function registerWebhookSetup(program: Command): void {
  const setup = program.commands.find((c) => c.name() === 'setup') ?? program.command('setup');
  setup
    .command('partner-center-webhooks')
    .requiredOption('--url <url>', 'the public HTTPS URL of POST /webhooks/partner-center on this service')
    .option('--api <base>', 'the Partner Center API base', PARTNER_CENTER_API)
    .description('register the webhook receiver for referral events and send a validation event')
    .action(async (o: { url: string; api: string }, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const [{ providerFromConfig }, { registerPartnerCenterWebhook }] = await Promise.all([import('../../partner-center/index.js'), import('../../server/index.js')]);
      const auth = providerFromConfig(config.referrals.auth, { log, resolvePath: (p) => resolveFromConfig(config, p), scope: `${PARTNER_CENTER_API}/.default` });
      const r = await registerPartnerCenterWebhook({
        apiBase: o.api,
        callbackUrl: o.url,
        token: async () => (await auth.token(false)) ?? '',
      });
      process.stdout.write(
        `webhook ${r.method === 'PUT' ? 'registration updated' : 'registered'}: ${r.registration.WebhookUrl} for ${r.registration.WebhookEvents.join(', ')}\n` +
          (r.validationEventId
            ? `validation event sent (correlation id ${r.validationEventId}); it should arrive at the receiver within seconds\n`
            : 'the validation event could not be requested\n'),
      );
    });
}
