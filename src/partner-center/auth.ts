/**
 * Token providers for the referrals API. Partner Center takes delegated (App+User) tokens from Entra ID:
 * production uses a service account's refresh token (rotated tokens written back atomically, mode 0600); a
 * device-code sign-in stores the first one; the password grant is legacy. The embedded store takes an API key.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuthenticationResult, Configuration, PublicClientApplication } from '@azure/msal-node';
import { AuthError, PRIVATE_FILE_MODE, privateDir, processEnv, registerSecret, readSecret, type Env, type Logger, type ReferralsConfig, silentLogger } from '../runtime/index.js';

export interface TokenProvider {
  /** Who the token is for, named in errors (never a secret). */
  readonly account: string;
  /**
   * Whose rate limit the calls count against (never a secret): Partner Center throttles per partner tenant, the
   * store per organization (its API key). One referrals lane per API and tenant, so one partner's 429 never
   * pauses another's calls.
   */
  readonly tenant?: string;
  /** A bearer token; `force` skips any cache (after a 401). Null = send no Authorization header. */
  token(force: boolean): Promise<string | null>;
}

export const PARTNER_CENTER_SCOPE = 'https://api.partner.microsoft.com/.default';

export function apiKeyProvider(key: string, account = 'referral store API key'): TokenProvider {
  registerSecret(key);
  // A digest names the key's organization without revealing the key.
  return { account, tenant: `key-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`, token: async () => key };
}

export const noAuthProvider: TokenProvider = { account: 'anonymous', token: async () => null };

/** Write a secret file atomically (temp + rename) readable only by its owner. */
export function writeSecretFile(file: string, value: string): void {
  privateDir(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, value, { mode: PRIVATE_FILE_MODE });
  chmodSync(tmp, PRIVATE_FILE_MODE);
  renameSync(tmp, file);
}

/** The refresh token msal-node keeps in its cache after an acquisition (it rotates them). */
export function refreshTokenFromCache(serializedCache: string): string | null {
  const cache = JSON.parse(serializedCache) as { RefreshToken?: Record<string, { secret?: string }> };
  const entries = Object.values(cache.RefreshToken ?? {});
  return entries.at(-1)?.secret ?? null;
}

interface MsalSettings {
  tenantId: string;
  clientId: string;
  authority?: string | undefined;
  scope: string;
  log: Logger;
  msal?: Partial<Configuration>;
}

/** msal-node loads with the first Entra sign-in: a sync on a store API key never loads it. */
async function app(s: MsalSettings): Promise<PublicClientApplication> {
  const { PublicClientApplication } = await import('@azure/msal-node');
  return new PublicClientApplication({
    ...s.msal,
    auth: { clientId: s.clientId, authority: s.authority ?? `https://login.microsoftonline.com/${s.tenantId}`, ...s.msal?.auth },
  });
}

/** Caches the access token until shortly before it expires. */
function cached(account: string, tenant: string, acquire: (force: boolean) => Promise<AuthenticationResult>): TokenProvider {
  let current: { token: string; expires: number } | null = null;
  return {
    account,
    tenant,
    async token(force) {
      if (!force && current && current.expires - Date.now() > 60_000) return current.token;
      let result: AuthenticationResult;
      try {
        result = await acquire(force);
      } catch (err) {
        throw new AuthError(
          `Partner Center sign-in for ${account} failed (${(err as { errorCode?: string }).errorCode ?? (err as Error).message}); run \`cosell-sync auth partner-center\` to sign in again`,
          account,
        );
      }
      registerSecret(result.accessToken);
      current = { token: result.accessToken, expires: result.expiresOn?.getTime() ?? Date.now() + 300_000 };
      return current.token;
    },
  };
}

export function refreshTokenProvider(s: MsalSettings & { refreshTokenFile?: string | undefined; initialRefreshToken?: string | undefined; account: string }): TokenProvider {
  const pca = app(s);
  const stored = s.refreshTokenFile && existsSync(s.refreshTokenFile) ? readFileSync(s.refreshTokenFile, 'utf8').trim() : undefined;
  let refreshToken = stored || s.initialRefreshToken;
  if (!refreshToken) {
    throw new AuthError(`no refresh token for ${s.account}: run \`cosell-sync auth partner-center\` once to sign in`, s.account);
  }
  registerSecret(refreshToken);
  return cached(s.account, s.tenantId, async () => {
    const client = await pca;
    const result = await client.acquireTokenByRefreshToken({ refreshToken: refreshToken!, scopes: [s.scope], forceCache: false });
    if (!result) throw new Error('no token returned');
    const rotated = refreshTokenFromCache(client.getTokenCache().serialize());
    if (rotated && rotated !== refreshToken) {
      refreshToken = rotated;
      registerSecret(rotated);
      if (s.refreshTokenFile) writeSecretFile(s.refreshTokenFile, rotated);
      s.log.info('partner center refresh token rotated', { account: s.account });
    }
    return result;
  });
}

export function passwordProvider(s: MsalSettings & { username: string; password: string }): TokenProvider {
  s.log.warn('the password grant is deprecated for Partner Center (MFA is enforced); use refresh-token', { account: s.username });
  const pca = app(s);
  registerSecret(s.password);
  return cached(s.username, s.tenantId, async () => {
    const result = await (await pca).acquireTokenByUsernamePassword({ username: s.username, password: s.password, scopes: [s.scope] });
    if (!result) throw new Error('no token returned');
    return result;
  });
}

/** Sign in once with a device code; returns the refresh token to store. */
export async function deviceCodeSignIn(s: MsalSettings & { refreshTokenFile: string; print: (message: string) => void }): Promise<string> {
  const pca = await app(s);
  const result = await pca.acquireTokenByDeviceCode({ scopes: [s.scope, 'offline_access'], deviceCodeCallback: (r) => s.print(r.message) });
  if (!result) throw new AuthError('device-code sign-in returned no token');
  const refresh = refreshTokenFromCache(pca.getTokenCache().serialize());
  if (!refresh) throw new AuthError('the sign-in returned no refresh token (is offline_access allowed for the app?)');
  writeSecretFile(s.refreshTokenFile, refresh);
  return result.account?.username ?? 'signed-in user';
}

/** Build the provider a config asks for. */
export function providerFromConfig(auth: ReferralsConfig['auth'], opts: { env?: Env; log?: Logger; resolvePath: (p: string) => string; scope?: string }): TokenProvider {
  const env = opts.env ?? processEnv().vars;
  const log = opts.log ?? silentLogger;
  const scope = opts.scope ?? PARTNER_CENTER_SCOPE;
  switch (auth.method) {
    case 'none':
      return noAuthProvider;
    case 'api-key':
      return apiKeyProvider(readSecret(auth.apiKeyEnv, env, 'referrals API key'));
    case 'refresh-token':
    case 'device-code':
      return refreshTokenProvider({
        tenantId: auth.tenantId,
        clientId: auth.clientId,
        authority: auth.authority,
        scope,
        log,
        account: auth.account ?? `client ${auth.clientId}`,
        refreshTokenFile: auth.refreshTokenFile ? opts.resolvePath(auth.refreshTokenFile) : undefined,
        initialRefreshToken: auth.method === 'refresh-token' && auth.refreshTokenEnv ? readSecret(auth.refreshTokenEnv, env, 'refresh token') : undefined,
      });
    case 'password':
      return passwordProvider({
        tenantId: auth.tenantId,
        clientId: auth.clientId,
        authority: auth.authority,
        scope,
        log,
        username: readSecret(auth.usernameEnv, env, 'Partner Center user'),
        password: readSecret(auth.passwordEnv, env, 'Partner Center password'),
      });
  }
}
