/** Dynamics 365: the Dataverse Web API connector (axios + msal-node) and the local sandbox. */
import { readFileSync } from 'node:fs';
import { readSecret, type DynamicsCrmConfig, type Env } from '../../src/runtime/index.js';
import type { DynamicsAuth } from './auth.js';

export { createDynamicsConnector, odataString, type DynamicsConnector, type DynamicsConnectorOptions } from './connector.js';
export { columnDefinition, COSELL_COLUMN_SPECS } from './setup.js';
export type { DynamicsAuth } from './auth.js';
export { startDynamicsSandbox, type DynamicsSandbox, type DynamicsSandboxOptions } from './sandbox/index.js';

/** Credentials for a real environment: the secret from the environment variable the config names. */
export function resolveDynamicsAuth(auth: NonNullable<DynamicsCrmConfig['auth']>, env: Env = process.env, resolvePath: (p: string) => string = (p) => p): DynamicsAuth {
  return {
    tenantId: auth.tenantId,
    clientId: auth.clientId,
    clientSecret: readSecret(auth.clientSecretEnv, env, 'Dynamics 365 client secret'),
    authority: auth.authority,
    caPem: auth.caFile ? readFileSync(resolvePath(auth.caFile), 'utf8') : undefined,
  };
}
