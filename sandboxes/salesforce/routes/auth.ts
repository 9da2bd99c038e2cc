/**
 * Sign-in as Salesforce serves it: the OAuth 2.0 token endpoint (JWT bearer verified against the connected
 * app's certificate, client credentials, refresh token, username-password), token revocation, the identity URL
 * and OpenID userinfo, and the legacy SOAP `login()`/`logout()` that older tools still call (Salesforce retired
 * SOAP login in API 65.0, so those versions get its fault).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomToken } from '../org.js';
import { API_VERSIONS, ORG_ID, USER_ID, type SandboxContext } from '../context.js';

function b64url(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Verify a JWT bearer assertion (RS256) the way Salesforce does: signature, iss, sub, aud, exp. */
export function verifyAssertion(assertion: string, key: KeyObject, expect: { clientId: string; username: string; audiences: string[] }): string | null {
  const parts = assertion.split('.');
  if (parts.length !== 3) return 'malformed assertion';
  const [h, p, sig] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: { iss?: string; sub?: string; aud?: string | string[]; exp?: number };
  try {
    header = JSON.parse(b64url(h).toString('utf8'));
    claims = JSON.parse(b64url(p).toString('utf8'));
  } catch {
    return 'malformed assertion';
  }
  if (header.alg !== 'RS256') return 'invalid assertion algorithm';
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, b64url(sig))) return 'invalid assertion signature';
  if (claims.iss !== expect.clientId) return 'invalid client identifier';
  if (claims.sub !== expect.username) return "user hasn't approved this consumer";
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.some((a) => a && expect.audiences.includes(a.replace(/\/$/, '')))) return 'audience is invalid';
  if (!claims.exp || claims.exp * 1000 < Date.now()) return 'expired authorization code';
  return null;
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const xmlUnescape = (s: string) => s.replace(/&(lt|gt|amp|apos|quot);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e]!);
const xmlField = (body: string, name: string) => {
  const m = new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(body);
  return m ? xmlUnescape(m[1]!) : undefined;
};

const SOAP_ENV = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;
const soapFault = (code: string, message: string) =>
  SOAP_ENV(
    `<soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${xmlEscape(`${code}: ${message}`)}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${xmlEscape(message)}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>`,
  );

export function authRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { o, sessions, refreshTokens } = ctx;
  const publicKey = createPublicKey(o.certificatePem);
  const idUrl = () => `${o.baseUrl()}/id/${ORG_ID}/${USER_ID}`;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_req, body, done) => done(null, String(body)));

  const newSession = () => {
    const token = `${ORG_ID}!${randomToken()}`;
    sessions.set(token, { expires: Date.now() + o.tokenLifetimeSeconds * 1000 });
    return token;
  };
  const issue = (refresh: boolean) => {
    const out: Record<string, string> = {
      access_token: newSession(),
      instance_url: o.baseUrl(),
      id: idUrl(),
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: randomToken(),
      scope: 'api refresh_token',
    };
    if (refresh) {
      const rt = randomToken();
      refreshTokens.add(rt);
      out.refresh_token = rt;
    }
    return out;
  };

  app.post('/services/oauth2/token', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const c = o.credentials;
    const fail = (description: string, error = 'invalid_grant') => reply.code(400).send({ error, error_description: description });
    switch (b.grant_type) {
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
        if (!b.assertion) return fail('assertion is required', 'invalid_request');
        const why = verifyAssertion(b.assertion, publicKey, {
          clientId: c.clientId,
          username: c.username,
          audiences: ['https://login.salesforce.com', 'https://test.salesforce.com', o.baseUrl()],
        });
        return why ? fail(why) : issue(false);
      }
      case 'client_credentials':
        if (b.client_id !== c.clientId || b.client_secret !== c.clientSecret) return fail('invalid client credentials', 'invalid_client');
        return issue(false);
      case 'password':
        if (b.client_id !== c.clientId || b.client_secret !== c.clientSecret) return fail('invalid client credentials', 'invalid_client');
        if (b.username !== c.username || b.password !== c.password) return fail('authentication failure');
        return issue(true);
      case 'refresh_token':
        if (b.client_id !== c.clientId) return fail('invalid client credentials', 'invalid_client');
        if (!b.refresh_token || !refreshTokens.has(b.refresh_token)) return fail('expired access/refresh token');
        return issue(false);
      default:
        return fail(`unsupported grant type ${b.grant_type ?? '(none)'}`, 'unsupported_grant_type');
    }
  });

  // RFC 7009 as Salesforce serves it: the token in the form body (or the query); an unknown one is a 400.
  app.post('/services/oauth2/revoke', async (req, reply) => {
    const token = ((req.body ?? {}) as Record<string, string>).token ?? (req.query as Record<string, string>).token;
    const known = token !== undefined && (sessions.delete(token) || refreshTokens.delete(token));
    if (!known) return reply.code(400).send({ error: 'unsupported_token_type', error_description: 'Invalid token' });
    return reply.code(200).send();
  });

  const bearerSession = (req: FastifyRequest) => {
    const token = /^(Bearer|OAuth)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[2] ?? (req.query as Record<string, string>).oauth_token;
    const s = token ? sessions.get(token) : undefined;
    return s && s.expires >= Date.now();
  };
  const identity = () => {
    const base = o.baseUrl();
    const username = o.credentials.username;
    return {
      id: idUrl(),
      asserted_user: true,
      user_id: USER_ID,
      organization_id: ORG_ID,
      username,
      nick_name: username.split('@')[0],
      display_name: 'Integration User',
      email: username,
      email_verified: true,
      first_name: 'Integration',
      last_name: 'User',
      timezone: 'GMT',
      active: true,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_US',
      utcOffset: 0,
      urls: {
        partner: `${base}/services/Soap/u/{version}/${ORG_ID}`,
        rest: `${base}/services/data/v{version}/`,
        sobjects: `${base}/services/data/v{version}/sobjects/`,
        query: `${base}/services/data/v{version}/query/`,
        profile: `${base}/${USER_ID}`,
      },
    };
  };
  app.get('/id/:orgId/:userId', async (req, reply) => {
    const { orgId, userId } = req.params as { orgId: string; userId: string };
    if (!bearerSession(req)) return reply.code(403).send('Bad_OAuth_Token');
    if (orgId !== ORG_ID || userId !== USER_ID) return reply.code(404).send('Bad_Id');
    return identity();
  });
  app.get('/services/oauth2/userinfo', async (req, reply) => {
    if (!bearerSession(req)) return reply.code(403).send('Bad_OAuth_Token');
    const i = identity();
    return {
      sub: i.id,
      user_id: i.user_id,
      organization_id: i.organization_id,
      preferred_username: i.username,
      nickname: i.nick_name,
      name: i.display_name,
      email: i.email,
      email_verified: true,
      given_name: i.first_name,
      family_name: i.last_name,
      zoneinfo: i.timezone,
      urls: i.urls,
      active: true,
      user_type: i.user_type,
      language: i.language,
      locale: i.locale,
      utcOffset: 0,
    };
  });

  // SOAP partner API: login() and logout() only (what jsforce's `conn.login(user, pass)` and old tools use).
  const soap = async (req: FastifyRequest, reply: FastifyReply) => {
    const version = (req.params as { version: string }).version;
    const body = typeof req.body === 'string' ? req.body : '';
    reply.type('text/xml; charset=utf-8');
    if (!API_VERSIONS.includes(version)) return reply.code(500).send(soapFault('UNSUPPORTED_API_VERSION', `Invalid Api version specified on URL`));
    if (/<(?:\w+:)?logout\b/.test(body)) {
      const sid = xmlField(body, 'sessionId');
      if (!sid || !sessions.delete(sid)) return reply.code(500).send(soapFault('INVALID_SESSION_ID', 'Invalid Session ID found in SessionHeader: Illegal Session'));
      return reply.send(SOAP_ENV('<logoutResponse/>'));
    }
    if (!/<(?:\w+:)?login\b/.test(body)) return reply.code(500).send(soapFault('INVALID_OPERATION', 'the sandbox serves only login() and logout() over SOAP; use the REST API'));
    if (Number(version) >= 65) return reply.code(500).send(soapFault('UNSUPPORTED_API_VERSION', 'login() is not available in API version 65.0 and later; use OAuth 2.0'));
    if (xmlField(body, 'username') !== o.credentials.username || xmlField(body, 'password') !== o.credentials.password) {
      return reply.code(500).send(soapFault('INVALID_LOGIN', 'Invalid username, password, security token; or user locked out.'));
    }
    const base = o.baseUrl();
    const sid = newSession();
    return reply.send(
      SOAP_ENV(
        `<loginResponse><result><metadataServerUrl>${base}/services/Soap/m/${version}/${ORG_ID}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox><serverUrl>${base}/services/Soap/u/${version}/${ORG_ID}</serverUrl><sessionId>${sid}</sessionId><userId>${USER_ID}</userId><userInfo><organizationId>${ORG_ID}</organizationId><organizationName>cosell-sync sandbox</organizationName><userEmail>${xmlEscape(o.credentials.username)}</userEmail><userFullName>Integration User</userFullName><userId>${USER_ID}</userId><userName>${xmlEscape(o.credentials.username)}</userName><userTimeZone>GMT</userTimeZone></userInfo></result></loginResponse>`,
      ),
    );
  };
  app.post('/services/Soap/u/:version', soap);
  app.post('/services/Soap/u/:version/:orgId', soap);
}
