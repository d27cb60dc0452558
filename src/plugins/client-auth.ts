import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Config } from '../config.js';
import { requestRecord } from './request-log.js';

export interface ClientIdentity {
  /** A static token's name, or `jwt:<subject>`. */
  name: string;
}

const identities = new WeakMap<Request, ClientIdentity>();

export function clientIdentity(request: Request): ClientIdentity | undefined {
  return identities.get(request);
}

const JWT_CLOCK_TOLERANCE_S = 30;

/**
 * Who a request is, for the create rate limit and the audit trail: its authenticated client, else
 * its address. Behind a proxy (TRUST_PROXY=1), the address the proxy appended last to
 * X-Forwarded-For: earlier entries are whatever the client sent, and would let it pick a fresh
 * identity (and rate-limit budget) per request.
 */
export function clientOf(context: { request: Request; req?: { socket?: { remoteAddress?: string } } }, trustProxy: boolean): string {
  const identity = clientIdentity(context.request);
  if (identity) return `client:${identity.name}`;
  if (trustProxy) {
    const forwarded = context.request.headers.get('x-forwarded-for')?.split(',').pop()?.trim();
    if (forwarded) return `ip:${forwarded}`;
  }
  return `ip:${context.req?.socket?.remoteAddress ?? 'unknown'}`;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Optional client authentication: a static bearer token from GATEWAY_TOKENS (compared in constant
 * time: digests of equal length, so neither content nor length leaks through timing) or a JWT
 * verified against a JWKS with a required issuer and audience. Every request that reaches this
 * plugin (the GraphQL endpoint: health, readiness, metrics, the console's files and GraphiQL's page
 * are answered before it, and hold no key data) needs a valid token, or gets HTTP 401 before
 * anything else happens, so no upstream is ever called. GraphiQL's and the console's own requests
 * carry the token.
 */
export function useClientAuth(auth: Config['auth']): Plugin {
  const tokens = auth.tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  const jwks = auth.jwt ? createRemoteJWKSet(new URL(auth.jwt.jwksUrl), { timeoutDuration: 5_000 }) : undefined;

  async function identify(token: string): Promise<ClientIdentity | undefined> {
    const presented = digest(token);
    let match: string | undefined;
    // Compare against every token, so timing does not reveal which one (if any) matched.
    for (const candidate of tokens) if (timingSafeEqual(candidate.digest, presented)) match ??= candidate.name;
    if (match) return { name: match };
    if (jwks && auth.jwt && token.split('.').length === 3) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: auth.jwt.issuer,
          audience: auth.jwt.audience,
          // A token without an expiry would be valid forever; a little clock skew between the
          // issuer and us is normal.
          requiredClaims: ['exp'],
          clockTolerance: JWT_CLOCK_TOLERANCE_S,
        });
        return { name: `jwt:${payload.sub ?? 'unknown'}` };
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  return {
    async onRequest({ request, endResponse, fetchAPI }) {
      const header = request.headers.get('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const identity = match ? await identify(match[1]!) : undefined;
      if (!identity) {
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({
              errors: [
                {
                  message: match ? 'The bearer token is not valid.' : 'Authentication required: send Authorization: Bearer <token>.',
                  extensions: { code: 'UNAUTHENTICATED' },
                },
              ],
            }),
            {
              status: 401,
              headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="keygate"' },
            },
          ),
        );
        return;
      }
      identities.set(request, identity);
      const record = requestRecord(request);
      if (record) record.client = identity.name;
    },
  };
}
