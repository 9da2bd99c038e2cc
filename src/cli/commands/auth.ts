/** `cosell-sync auth partner-center`: sign in once with a device code and store the refresh token (mode 0600). */
import type { Command } from 'commander';
import { ConfigError, resolveFromConfig } from '../../runtime/index.js';
import { cliContext } from '../context.js';

export function registerAuth(program: Command): void {
  program
    .command('auth')
    .description('sign in to an API once and store what the service needs')
    .command('partner-center')
    .description('device-code sign-in for the Partner Center service account; stores its refresh token')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, log } = cliContext(cmd);
      const { deviceCodeSignIn, PARTNER_CENTER_SCOPE } = await import('../../partner-center/index.js');
      const auth = config.referrals.auth;
      if (auth.method !== 'refresh-token' && auth.method !== 'device-code') {
        throw new ConfigError(`referrals.auth.method is '${auth.method}': device-code sign-in needs method refresh-token or device-code`, config.file);
      }
      const file = resolveFromConfig(config, auth.refreshTokenFile ?? '../.cosell/partner-center.token');
      const who = await deviceCodeSignIn({
        tenantId: auth.tenantId,
        clientId: auth.clientId,
        authority: auth.authority,
        scope: PARTNER_CENTER_SCOPE,
        log,
        refreshTokenFile: file,
        print: (message) => process.stdout.write(`${message}\n`),
      });
      process.stdout.write(`signed in as ${who}; refresh token stored in ${file} (mode 0600)\n`);
    });
}
