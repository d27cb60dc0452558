import { describe, expect, it, vi } from 'vitest';
import { fromStore } from '../src/errors.js';
import { StoreError } from '../src/store/errors.js';
import type { Fault } from '../src/simulators/index.js';
import { fakeClock, until, watch } from './support/clock.js';
import { startTestGateway, type GraphQLResponse, type TestGateway, type TestGatewayOptions } from './support/gateway.js';
import { OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';

interface ListData {
  apiKeys: { unavailableProviders: string[]; nodes: { provider: string; name: string }[] };
}
const LIST = 'query { apiKeys { unavailableProviders nodes { provider name } } }';
const TIMEOUT_MS = 10_000;

/** Each test its own gateway and simulators, disposed with `await using`. */
const start = (options: TestGatewayOptions = {}) =>
  startTestGateway({
    octopus: { users: octopusUsers() },
    hyperstack: { users: hyperstackUsers() },
    upstream: { timeoutMs: TIMEOUT_MS, retries: 1 },
    ...options,
  });

const providersOf = (response: GraphQLResponse<ListData>) => [...new Set(response.body.data!.apiKeys.nodes.map((k) => k.provider))];

/** Per provider: its simulator, its list route, the other provider, and the calls one list makes (Octopus: /users/me, then the list). */
const PROVIDERS = {
  OCTOPUS: { sim: (t: TestGateway) => t.octopus, route: 'GET /api/users/{userId}/apikeys', other: 'HYPERSTACK', calls: 2 },
  HYPERSTACK: { sim: (t: TestGateway) => t.hyperstack, route: 'GET /v1/api-key', other: 'OCTOPUS', calls: 1 },
} as const;

/**
 * Lists keys while `failing`'s list route has `fault`. A hang is cut by the upstream timeout on a
 * fake clock, moved once the other provider's calls have all finished: only the hang can time out.
 */
async function listWith(t: TestGateway, failing: keyof typeof PROVIDERS, fault: Fault): Promise<GraphQLResponse<ListData>> {
  const { sim, route, other } = PROVIDERS[failing];
  sim(t).fault(route, fault);
  if (fault.mode !== 'hang') return t.query<ListData>(LIST);
  fakeClock();
  const pending = t.query<ListData>(LIST);
  await until(
    async () => sim(t).requests(route) === 1 && (await t.finishedCalls(other)) === PROVIDERS[other].calls,
    `the ${failing} list call to hang and every ${other} call to finish`,
  );
  vi.advanceTimersByTime(TIMEOUT_MS);
  return pending;
}

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
      await using t = await start();
      const response = await listWith(t, 'HYPERSTACK', fault);
      expect(response.status).toBe(200);
      expect(providersOf(response)).toEqual(['OCTOPUS']);
      expect(response.body.data!.apiKeys.unavailableProviders).toEqual(['HYPERSTACK']);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: ['apiKeys'], extensions: { provider: 'HYPERSTACK', account: 'default', ...extensions } }),
      ]);
    });

    it(`Octopus ${what}: Hyperstack keys plus ${String(extensions.code)}`, async () => {
      await using t = await start();
      const response = await listWith(t, 'OCTOPUS', fault);
      expect(providersOf(response)).toEqual(['HYPERSTACK']);
      expect(response.body.data!.apiKeys.unavailableProviders).toEqual(['OCTOPUS']);
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: ['apiKeys'], extensions: { provider: 'OCTOPUS', account: 'default', ...extensions } }),
      ]);
    });
  }

  it('a timeout says how long keygate waited, and comes no earlier', async () => {
    await using t = await start();
    fakeClock();
    t.hyperstack.fault('GET /v1/api-key', { mode: 'hang' });
    const pending = watch(t.query<ListData>(LIST));
    await until(async () => (await t.finishedCalls('OCTOPUS')) === PROVIDERS.OCTOPUS.calls, 'the Octopus calls to finish');
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    await until(() => t.hyperstack.requests('GET /v1/api-key') === 1, 'the Hyperstack call');
    expect(pending.settled).toBe(false);
    vi.advanceTimersByTime(1);
    const response = await pending.promise;
    expect(response.body.errors?.[0]?.message).toBe(`Hyperstack did not answer within ${TIMEOUT_MS} ms.`);
  });

  it('says which provider failed, never with its 5xx body, a stack or an internal URL', async () => {
    await using t = await start();
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
    await using t = await start();
    t.octopus.fault('*', { mode: 'error' });
    t.hyperstack.fault('*', { mode: 'error' });
    const response = await t.query<ListData>(LIST);
    expect(response.body.data!.apiKeys).toEqual({ unavailableProviders: ['OCTOPUS', 'HYPERSTACK'], nodes: [] });
    expect(response.body.errors?.map((e) => e.extensions?.provider)).toEqual(['OCTOPUS', 'HYPERSTACK']);
  });

  it('the gateway keeps serving after every fault', async () => {
    await using t = await start();
    for (const [, fault] of cases.filter(([, f]) => f.mode !== 'hang')) {
      for (const failing of ['OCTOPUS', 'HYPERSTACK'] as const) {
        const response = await listWith(t, failing, fault);
        expect(response.body.data!.apiKeys.unavailableProviders).toEqual([failing]);
        PROVIDERS[failing].sim(t).clearFaults();
      }
    }
    const response = await t.query<ListData>(LIST);
    expect(response.body.errors).toBeUndefined();
    expect(providersOf(response).sort()).toEqual(['HYPERSTACK', 'OCTOPUS']);
  });
});

describe('credentials', () => {
  it('request headers override the configured credentials for that request only', async () => {
    await using t = await start();
    const dev = await t.query<ListData>(LIST, undefined, {
      'X-Octopus-ApiKey': OCTOPUS_DEV_SECRET,
      'X-Hyperstack-Api-Key': t.hyperstack.credentials[1]!,
    });
    expect(dev.body.data!.apiKeys.nodes.map((k) => k.name).sort()).toEqual(['Dev laptop', 'bob-only', 'dev key 0', 'dev key 1']);
    const configured = await t.query<ListData>(LIST);
    expect(configured.body.data!.apiKeys.nodes.map((k) => k.name)).toContain('Admin CLI');
  });

  it('a wrong forwarded credential is UNAUTHENTICATED for that provider only, and never echoed', async () => {
    await using t = await start();
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
    await using bare = await startTestGateway({ credentials: { octopus: false } });
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
  });

  it('with Octopus not configured, lists Hyperstack alone without errors', async () => {
    await using hyperstackOnly = await startTestGateway({ noOctopus: true });
    const response = await hyperstackOnly.query<ListData>(LIST);
    expect(response.body.errors).toBeUndefined();
    expect(providersOf(response)).toEqual(['HYPERSTACK']);
    const create = await hyperstackOnly.query('mutation { createOctopusApiKey(input: { purpose: "x" }) { secret } }');
    expect(create.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'OCTOPUS' });
  });
});

describe('bad requests', () => {
  it('malformed GraphQL is refused with a parse error and no upstream call', async () => {
    await using t = await start();
    const response = await t.query('query { apiKeys { ');
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = await t.query('query { apiKeys { secret } }');
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(t.counts()).toEqual({});
  });

  it('strings over 200 characters are refused with BAD_USER_INPUT before any upstream call', async () => {
    await using t = await start();
    // Well inside the body limit (100,000 bytes), so the field's own check is what answers.
    for (const length of [201, 50_000]) {
      const long = 'x'.repeat(length);
      const search = await t.query('query($s: String) { apiKeys(filter: { search: $s }) { totalCount } }', { s: long });
      expect(search.status).toBe(200);
      expect(search.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining('search must be at most 200 characters'),
        extensions: { code: 'BAD_USER_INPUT' },
      });
      const generate = await t.query('mutation($n: String!) { generateHyperstackApiKey(input: { name: $n }) { secret } }', { n: long });
      expect(generate.status).toBe(200);
      expect(generate.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining('name must be at most 200 characters'),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    expect(t.counts()).toEqual({});
    // 200 is allowed.
    const atLimit = await t.query('query($s: String) { apiKeys(filter: { search: $s }) { totalCount } }', { s: 'x'.repeat(200) });
    expect(atLimit.body.errors).toBeUndefined();
  });
});

describe('store errors as client errors', () => {
  it('a value shaped like a secret is bad input, with no retry; the store down is SERVICE_UNAVAILABLE with one', async () => {
    const refused = await fromStore(() => Promise.reject(new StoreError('SECRET_REFUSED', 'rotation: oldKeyName looks like a JSON Web Token'))).catch((e: unknown) => e);
    expect(refused).toMatchObject({ message: 'Rotation: oldKeyName looks like a JSON Web Token.', extensions: { code: 'BAD_USER_INPUT' } });
    const down = await fromStore(() => Promise.reject(new StoreError('STORE_UNAVAILABLE', 'connection refused'))).catch((e: unknown) => e);
    expect(down).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 5 } });
  });
});
