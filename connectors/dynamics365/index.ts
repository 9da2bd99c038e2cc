/** Dynamics 365: the Dataverse Web API connector (axios + msal-node), its co-sell columns and their setup. */
import { readFileSync } from 'node:fs';
import { readSecret, type DynamicsCrmConfig, type Env } from '../../src/runtime/index.js';
import type { DynamicsAuth } from './auth.js';

export { createDynamicsConnector, odataString, type DynamicsConnector, type DynamicsConnectorOptions } from './connector.js';
export { columnDefinition } from './setup.js';
export { COSELL_COLUMNS, COSELL_TASK_COLUMNS, type AttrDef, type AttrType } from './cosell-fields.js';
export type { DynamicsAuth } from './auth.js';

/** Credentials for a real environment: the secret from the environment variable the config names. */
export function resolveDynamicsAuth(auth: NonNullable<DynamicsCrmConfig['auth']>, env: Env, resolvePath: (p: string) => string = (p) => p): DynamicsAuth {
  return {
    tenantId: auth.tenantId,
    clientId: auth.clientId,
    clientSecret: readSecret(auth.clientSecretEnv, env, 'Dynamics 365 client secret'),
    authority: auth.authority,
    caPem: auth.caFile ? readFileSync(resolvePath(auth.caFile), 'utf8') : undefined,
  };
}
