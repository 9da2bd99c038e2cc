/**
 * Entra ID client credentials through msal-node. A private CA (the local sandbox's, or a corporate proxy's) is
 * trusted explicitly through msal's network client on an https agent (the Web API client passes the same PEM to
 * createTextAxios); TLS checks stay on.
 */
import https from 'node:https';
import { ConfidentialClientApplication, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { AuthError, registerSecret } from '../../src/runtime/index.js';

export interface DynamicsAuth {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Defaults to https://login.microsoftonline.com/<tenant>. */
  authority?: string | undefined;
  /** Extra CA certificate (PEM) to trust. */
  caPem?: string | undefined;
}

function request(agent: https.Agent, method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<unknown>> {
  return new Promise((resolve, reject) => {
    const body = options?.body;
    const req = https.request(url, { method, agent, headers: { ...(options?.headers ?? {}), ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // msal reads errors from the status; a non-JSON body stays text
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
        resolve({ headers, body: parsed, status: res.statusCode ?? 0 });
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** msal's network client over an https agent that trusts the given CA (in addition to the system's). */
export function networkClient(agent: https.Agent): INetworkModule {
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => request(agent, 'GET', url, options) as Promise<NetworkResponse<T>>,
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => request(agent, 'POST', url, options) as Promise<NetworkResponse<T>>,
  };
}

export function httpsAgent(caPem?: string): https.Agent {
  return new https.Agent({ keepAlive: true, ...(caPem ? { ca: [...(https.globalAgent.options.ca ? [https.globalAgent.options.ca].flat() : []), caPem] } : {}) });
}

export interface TokenSource {
  token(force: boolean): Promise<string>;
  readonly account: string;
}

export function clientCredentialTokens(auth: DynamicsAuth, resource: string, agent: https.Agent): TokenSource {
  registerSecret(auth.clientSecret);
  const authority = auth.authority ?? `https://login.microsoftonline.com/${auth.tenantId}`;
  const host = new URL(authority).host;
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
      authority,
      // A non-Microsoft authority (a sandbox, a sovereign cloud proxy) is trusted by name, no instance discovery.
      ...(host !== 'login.microsoftonline.com' ? { knownAuthorities: [host] } : {}),
    },
    system: { networkClient: networkClient(agent) },
  });
  const account = `app ${auth.clientId} (tenant ${auth.tenantId})`;
  return {
    account,
    async token(force) {
      try {
        const r = await cca.acquireTokenByClientCredential({ scopes: [`${resource.replace(/\/$/, '')}/.default`], skipCache: force });
        if (!r?.accessToken) throw new Error('no access token returned');
        registerSecret(r.accessToken);
        return r.accessToken;
      } catch (err) {
        const e = err as { errorCode?: string; errorMessage?: string; message?: string };
        throw new AuthError(
          `Dynamics 365 sign-in for ${account} failed (${e.errorCode ?? 'error'}: ${(e.errorMessage ?? e.message ?? '').split('\n')[0]}); check the client id, the secret and that the app is an application user in the environment`,
          account,
        );
      }
    },
  };
}
