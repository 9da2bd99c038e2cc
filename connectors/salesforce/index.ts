/** Salesforce: the jsforce connector, its co-sell fields and their setup package. */
import { readSecret, type Env, type SalesforceCrmConfig } from '../../src/runtime/index.js';
import type { SalesforceAuth } from './connector.js';

export { createSalesforceConnector, type SalesforceAuth, type SalesforceConnectorOptions } from './connector.js';
export { jwtAssertion } from './session.js';
export { soqlString, soqlDateTime } from './soql-text.js';

/** Credentials for a real org, read from the environment variables the config names. */
export function resolveSalesforceAuth(auth: NonNullable<SalesforceCrmConfig['auth']>, env: Env): SalesforceAuth {
  switch (auth.method) {
    case 'jwt':
      return { method: 'jwt', clientId: auth.clientId, username: auth.username, privateKeyPem: readSecret(auth.privateKeyEnv, env, 'Salesforce JWT private key') };
    case 'client-credentials':
      return { method: 'client-credentials', clientId: auth.clientId, clientSecret: readSecret(auth.clientSecretEnv, env, 'Salesforce client secret') };
    case 'refresh-token':
      return {
        method: 'refresh-token',
        clientId: auth.clientId,
        clientSecret: auth.clientSecretEnv ? readSecret(auth.clientSecretEnv, env, 'Salesforce client secret') : undefined,
        refreshToken: readSecret(auth.refreshTokenEnv, env, 'Salesforce refresh token'),
      };
    case 'password':
      return {
        method: 'password',
        clientId: auth.clientId,
        clientSecret: readSecret(auth.clientSecretEnv, env, 'Salesforce client secret'),
        username: auth.username,
        password: readSecret(auth.passwordEnv, env, 'Salesforce password'),
      };
  }
}
export { buildDeployPackage, writeDeployPackage, checkFields, PERMISSION_SET } from './setup.js';
export { COSELL_ACTIVITY_FIELDS, CUSTOM_OPPORTUNITY_FIELDS, type FieldDef, type FieldType } from './cosell-fields.js';
