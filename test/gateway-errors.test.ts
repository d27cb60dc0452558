import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault } from '../src/simulators/index.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';

interface ListData {
  apiKeys: { unavailableProviders: string[]; nodes: { provider: string; name: string }[] };
}
const LIST = 'query { apiKeys { unavailableProviders nodes { provider name } } }';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    octopus: { users: octopusUsers() },
    hyperstack: { users: hyperstackUsers() },
    upstream: { timeoutMs: 300, retries: 1 },
  });
});
afterAll(() => t.close());
beforeEach(() => {
  t.octopus.clearFaults();
  t.hyperstack.clearFaults();
});

const providersOf = (response: GraphQLResponse<ListData>) => [...new Set(response.body.data!.apiKeys.nodes.map((k) => k.provider))];

describe('one provider failing never hides the other', () => {
  const cases: [string, Fault, Record<string, unknown>][] = [
    ['500', { mode: 'error' }, { code: 'UPSTREAM_ERROR', upstreamStatus: 500 }],
    ['a body that is not JSON', { mode: 'garbage' }, { code: 'UPSTREAM_ERROR', upstreamStatus: 200 }],
    ['a hang', { mode: 'hang' }, { code: 'UPSTREAM_TIMEOUT' }],
    ['a dropped connection', { mode: 'drop' }, { code: 'UPSTREAM_UNAVAILABLE' }],
    ['429 with Retry-After', { mode: 'rate-limit', retryAfterSeconds: 3600 }, { code: 'RATE_LIMITED', upstreamStatus: 429, retryAfterSeconds: 3600 }],
  ];

  for (const [what, fault, extensions] of cases) {
    it(`Hyperstack ${what}: Octopus keys plus ${String(extensions.code)}`, async () => {
      t.hyperstack.fault('GET /v1/api-key', fault);
      const started = performance.now();
      const response = await t.query<ListData>(LIST);
      // Within the upstream timeout (300 ms here) plus a generous margin: only "never answered" fails.
      expect(performance.now() - started).toBeLessThan(300 + 2_000);
      expect(response.status).toBe(200);
      expect(providersOf(response)).toEqual(['OCTOPUS']);
      expect(response.body.data!.apiKeys.unavailableProviders).toEqual(['HYPERSTACK']);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: ['apiKeys'], extensions: { provider: 'HYPERSTACK', account: 'default', ...extensions } }),
      ]);
    });

    it(`Octopus ${what}: Hyperstack keys plus ${String(extensions.code)}`, async () => {
      t.octopus.fault('GET /api/users/{userId}/apikeys', fault);
      const started = performance.now();
      const response = await t.query<ListData>(LIST);
      expect(performance.now() - started).toBeLessThan(300 + 2_000);
      expect(providersOf(response)).toEqual(['HYPERSTACK']);
      expect(response.body.data!.apiKeys.unavailableProviders).toEqual(['OCTOPUS']);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: ['apiKeys'], extensions: { provider: 'OCTOPUS', account: 'default', ...extensions } }),
      ]);
    });
  }

  it('says which provider failed, never with its 5xx body, a stack or an internal URL', async () => {
    t.octopus.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });
    const response = await t.query<ListData>(LIST);
    const body = JSON.stringify(response.body);
    // A 5xx body is whatever the failure left there: not shown (see test/upstream-http.test.ts).
    expect(response.body.errors?.[0]?.message).toBe('Octopus Deploy failed with HTTP 500.');
    expect(body).not.toContain('NullReferenceException'); // FullException stays behind
    expect(body).not.toContain(t.octopus.url);
    expect(body).not.toContain('127.0.0.1');
  });

  it('both providers down: an empty list and one error per provider', async () => {
    t.octopus.fault('*', { mode: 'error' });
    t.hyperstack.fault('*', { mode: 'error' });
    const response = await t.query<ListData>(LIST);
    expect(response.body.data!.apiKeys).toEqual({ unavailableProviders: ['OCTOPUS', 'HYPERSTACK'], nodes: [] });
    expect(response.body.errors?.map((e) => e.extensions?.provider)).toEqual(['OCTOPUS', 'HYPERSTACK']);
  });

  it('the gateway keeps serving after every fault', async () => {
    const response = await t.query<ListData>(LIST);
    expect(response.body.errors).toBeUndefined();
    expect(providersOf(response).sort()).toEqual(['HYPERSTACK', 'OCTOPUS']);
  });
});

describe('credentials', () => {
  it('request headers override the configured credentials for that request only', async () => {
    const dev = await t.query<ListData>(LIST, undefined, {
      'X-Octopus-ApiKey': OCTOPUS_DEV_SECRET,
      'X-Hyperstack-Api-Key': t.hyperstack.credentials[1]!,
    });
    expect(dev.body.data!.apiKeys.nodes.map((k) => k.name).sort()).toEqual(['Dev laptop', 'bob-only', 'dev key 0', 'dev key 1']);
    const configured = await t.query<ListData>(LIST);
    expect(configured.body.data!.apiKeys.nodes.map((k) => k.name)).toContain('Admin CLI');
  });

  it('a wrong forwarded credential is UNAUTHENTICATED for that provider only, and never echoed', async () => {
    const wrong = 'API-WRONGWRONGWRONGWRONGWRONG00';
    const response = await t.query<ListData>(LIST, undefined, { 'X-Octopus-ApiKey': wrong });
    expect(providersOf(response)).toEqual(['HYPERSTACK']);
    expect(response.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/logged in/),
      extensions: { code: 'UNAUTHENTICATED', provider: 'OCTOPUS', upstreamStatus: 401 },
    });
    expect(JSON.stringify(response.body)).not.toContain(wrong);
  });
});

describe('a gateway without credentials or without Octopus', () => {
  it('a provider with no credential yields UNAUTHENTICATED for its part only, without calling it', async () => {
    const bare = await startTestGateway({ credentials: { octopus: false } });
    try {
      const response = await bare.query<ListData>(LIST);
      expect(providersOf(response)).toEqual(['HYPERSTACK']);
      expect(response.body.errors).toEqual([
        expect.objectContaining({
          path: ['apiKeys'],
          message: expect.stringContaining('X-Octopus-ApiKey'),
          extensions: { code: 'UNAUTHENTICATED', provider: 'OCTOPUS', account: 'default' },
        }),
      ]);
      expect(bare.octopus.requests()).toBe(0);
      const create = await bare.query('mutation { createOctopusApiKey(input: { purpose: "x" }) { secret } }');
      expect(create.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', provider: 'OCTOPUS' });
    } finally {
      await bare.close();
    }
  });

  it('with Octopus not configured, lists Hyperstack alone without errors', async () => {
    const hyperstackOnly = await startTestGateway({ noOctopus: true });
    try {
      const response = await hyperstackOnly.query<ListData>(LIST);
      expect(response.body.errors).toBeUndefined();
      expect(providersOf(response)).toEqual(['HYPERSTACK']);
      const create = await hyperstackOnly.query('mutation { createOctopusApiKey(input: { purpose: "x" }) { secret } }');
      expect(create.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'OCTOPUS' });
    } finally {
      await hyperstackOnly.close();
    }
  });
});

describe('bad requests', () => {
  it('malformed GraphQL is refused with a parse error and no upstream call', async () => {
    t.resetCounts();
    const response = await t.query('query { apiKeys { ');
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = await t.query('query { apiKeys { secret } }');
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(t.counts()).toEqual({});
  });

  it('huge strings are refused with BAD_USER_INPUT before any upstream call', async () => {
    t.resetCounts();
    const huge = 'x'.repeat(100_000);
    const search = await t.query('query($s: String) { apiKeys(filter: { search: $s }) { totalCount } }', { s: huge });
    expect(search.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const generate = await t.query('mutation($n: String!) { generateHyperstackApiKey(input: { name: $n }) { secret } }', { n: huge });
    expect(generate.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.counts()).toEqual({});
  });
});
