import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const TOKEN = 'ci-token-0123456789abcdef';
const LIST = 'query { apiKeys { totalCount } }';

describe('static bearer tokens', () => {
  let t: TestGateway;
  // Each test its own gateway and simulators, closed when it finishes.
  beforeEach(async () => {
    const started = await startTestGateway({ env: { GATEWAY_TOKENS: `ci:${TOKEN},alice:alice-token-0123456789` } });
    onTestFinished(() => started.close());
    t = started;
  });

  it('a valid token gets data', async () => {
    const response = await t.query(LIST, undefined, { authorization: `Bearer ${TOKEN}` });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });

  it('no token or a wrong one gets HTTP 401 before any upstream call', async () => {
    t.resetCounts();
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const response = await t.query(LIST, undefined, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(t.counts()).toEqual({});
  });

  it('mutations are refused the same way', async () => {
    const response = await t.query('mutation { generateHyperstackApiKey(input: { name: "x" }) { secret } }');
    expect(response.status).toBe(401);
    expect(t.counts()).toEqual({});
  });

  it('no other path reaches GraphQL: yoga would run it for any URL ending in /graphql', async () => {
    t.resetCounts();
    const mint = JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "sneaky" }) { secret } }' });
    for (const path of ['/graphql/', '/x/graphql', '/?a=/graphql', '/console/../graphql/']) {
      const response = await t.gateway.yoga.fetch(`http://keygate.test${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: mint,
      });
      expect([401, 404, 405]).toContain(response.status); // / is the console page: 405 to a POST
      expect(await response.text()).not.toContain('secret"');
    }
    expect(t.counts()).toEqual({});
  });

  it('health, readiness and the GraphiQL page need no token; they hold no key data', async () => {
    const fetch = (path: string, headers: Record<string, string> = {}) => t.gateway.yoga.fetch(`http://keygate.test${path}`, { headers });
    expect((await fetch('/healthz')).status).toBe(200);
    expect((await fetch('/readyz')).status).toBe(200);
    expect((await fetch('/graphql', { accept: 'text/html' })).status).toBe(200);
  });
});

describe('with GraphiQL off', () => {
  it('a browser-looking GET (Accept: text/html) still needs a token', async () => {
    await using t = await startTestGateway({ env: { GATEWAY_TOKENS: `ci:${TOKEN}`, GRAPHIQL: '0' } });
    const query = encodeURIComponent('{ apiKeys { nodes { name } } }');
    const response = await t.gateway.yoga.fetch(`http://keygate.test/graphql?query=${query}`, {
      headers: { accept: 'text/html, application/json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(401);
    expect(t.counts()).toEqual({});
  });
});

describe('JWTs verified against a JWKS', () => {
  let jwks: Server;
  let jwksUrl: string;
  let t: TestGateway;
  let sign: (claims: { iss?: string; aud?: string; exp?: number | null; sub?: string }) => Promise<string>;
  let foreign: (claims: { iss: string; aud: string }) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    sign = ({ iss = 'https://idp.test', aud = 'keygate', exp = Math.floor(Date.now() / 1000) + 300, sub = 'user-7' }) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(iss).setAudience(aud).setSubject(sub);
      return (exp === null ? jwt : jwt.setExpirationTime(exp)).sign(privateKey);
    };
    foreign = ({ iss, aud }) =>
      new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(iss).setAudience(aud).setExpirationTime('5m').sign(other.privateKey);
  });
  afterAll(() => {
    jwks.close();
  });
  // The identity provider (keys, JWKS server) is shared and never changes; each test its own gateway.
  beforeEach(async () => {
    const started = await startTestGateway({ env: { JWT_JWKS_URL: jwksUrl, JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'keygate' } });
    onTestFinished(() => started.close());
    t = started;
  });

  it('accepts a token from the configured issuer for this audience', async () => {
    const response = await t.query(LIST, undefined, { authorization: `Bearer ${await sign({})}` });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });

  it('refuses a token without an expiry: it would be valid forever', async () => {
    t.resetCounts();
    expect((await t.query(LIST, undefined, { authorization: `Bearer ${await sign({ exp: null })}` })).status).toBe(401);
    expect(t.counts()).toEqual({});
  });

  it('tolerates 30 s of clock skew on the expiry, and no more', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await t.query(LIST, undefined, { authorization: `Bearer ${await sign({ exp: now - 5 })}` })).status).toBe(200);
    expect((await t.query(LIST, undefined, { authorization: `Bearer ${await sign({ exp: now - 60 })}` })).status).toBe(401);
  });

  it('refuses expired tokens, other audiences, other issuers and other keys with 401', async () => {
    t.resetCounts();
    const tokens = [
      await sign({ exp: Math.floor(Date.now() / 1000) - 60 }),
      await sign({ aud: 'another-service' }),
      await sign({ iss: 'https://evil.test' }),
      await foreign({ iss: 'https://idp.test', aud: 'keygate' }),
    ];
    for (const token of tokens) {
      expect((await t.query(LIST, undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
    }
    expect(t.counts()).toEqual({});
  });
});

describe('exposure without client authentication', () => {
  const held = { OCTOPUS_URL: 'https://octopus.example', OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX', ALLOWED_HOSTS: 'keygate.example' };

  it('refuses a non-loopback HOST when the gateway holds provider credentials, and says why', () => {
    expect(() => loadConfig({ ...held, HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...held, HOST: '0.0.0.0' })).toThrow(/GATEWAY_TOKENS|ALLOW_UNAUTHENTICATED/);
    expect(() => loadConfig({ ...held, HOST: '0.0.0.0' })).not.toThrow(/API-X/);
  });

  it('allows it with client authentication, with ALLOW_UNAUTHENTICATED=1, on loopback, or without held credentials', () => {
    expect(() => loadConfig({ ...held, HOST: '0.0.0.0', GATEWAY_TOKENS: TOKEN })).not.toThrow();
    expect(() => loadConfig({ ...held, HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: '1' })).not.toThrow();
    expect(() => loadConfig({ ...held, HOST: '127.0.0.1' })).not.toThrow();
    expect(() => loadConfig({ ...held, HOST: '::1' })).not.toThrow();
    // demo mode, asked for: simulator credentials only
    expect(() => loadConfig({ HOST: '0.0.0.0', DEMO: '1', ALLOWED_HOSTS: 'keygate.example' })).not.toThrow();
    // callers bring their own
    expect(() => loadConfig({ OCTOPUS_URL: 'https://octopus.example', HOST: '0.0.0.0', ALLOWED_HOSTS: 'keygate.example' })).not.toThrow();
  });

  it('refuses an Octopus key without the server it is for', () => {
    expect(() => loadConfig({ OCTOPUS_API_KEY: 'API-XXXXXXXXXXXXXXXXXXXXXXXXXX' })).toThrow(/OCTOPUS_URL/);
  });

  it('refuses short tokens and a JWKS without issuer and audience', () => {
    expect(() => loadConfig({ GATEWAY_TOKENS: 'short' })).toThrow(/16 characters/);
    // One token with a colon in it reads as name:token; the message must not show either part.
    expect(() => loadConfig({ GATEWAY_TOKENS: 'ok:0123456789abcdef,Zq9xW2pL:k4Vb' })).toThrow(/^GATEWAY_TOKENS: token 2 is shorter than 16 characters/);
    expect(() => loadConfig({ GATEWAY_TOKENS: 'Zq9xW2pL:k4Vb' })).not.toThrow(/Zq9xW2pL|k4Vb/);
    expect(() => loadConfig({ JWT_JWKS_URL: 'https://idp.example/jwks.json' })).toThrow(/JWT_ISSUER and JWT_AUDIENCE/);
  });
});
