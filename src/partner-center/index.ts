/** The referrals API client (Partner Center or the embedded store): auth, paging, JSON Patch, ETags, retries. */
export { createReferralsClient, type ReferralsClient, type ReferralsClientOptions, type ReferralPage, type ReferralWithEtag, type InviteDetails } from './client.js';
export {
  apiKeyProvider,
  noAuthProvider,
  refreshTokenProvider,
  passwordProvider,
  deviceCodeSignIn,
  providerFromConfig,
  writeSecretFile,
  refreshTokenFromCache,
  PARTNER_CENTER_SCOPE,
  type TokenProvider,
} from './auth.js';
export { createHttpClient, retryAfterSeconds, toTypedError, type HttpClient } from './http.js';
export { decodeCursor, encodeCursor } from './cursor.js';
