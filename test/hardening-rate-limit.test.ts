import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { countKeyCreations, createLimitedFields } from '../src/plugins/create-limit.js';
import { buildSchema } from '../src/schema/index.js';
import { REDIS_SERVER, startRedis } from './support/redis.js';
import { startTestGateway, type TestGatewayOptions } from './support/gateway.js';

const GENERATE = (name: string) => `mutation { generateHyperstackApiKey(input: { name: "${name}" }) { secret } }`;
const TOKENS = 'ci:ci-token-0123456789abcdef,bob:bob-token-0123456789abcd';
const as = (who: 'ci' | 'bob') => ({ authorization: `Bearer ${who === 'ci' ? 'ci-token-0123456789abcdef' : 'bob-token-0123456789abcd'}` });

describe('create rate limit (in memory)', () => {
  /** Each test its own gateway, so each starts with a full budget of 3 creations per client. */
  const start = (options: TestGatewayOptions = {}) =>
    startTestGateway({
      env: { CREATE_RATE_LIMIT: '3', CREATE_RATE_LIMIT_WINDOW_S: '3600', GATEWAY_TOKENS: TOKENS },
      hyperstack: { keyQuota: 100 },
      ...options,
    });

  it('lets a client create up to the limit, then refuses with RATE_LIMITED, 429 and Retry-After, calling no provider', async () => {
    await using t = await start();
    for (let i = 0; i < 3; i++) expect((await t.query(GENERATE(`ci-${i}`), undefined, as('ci'))).body.errors).toBeUndefined();
    t.resetCounts();
    const refused = await t.query(GENERATE('ci-3'), undefined, as('ci'));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused.body.errors?.[0]?.extensions).not.toHaveProperty('http');
    expect(t.counts()).toEqual({});
  });

  it('counts per client: another client still has its budget', async () => {
    await using t = await start();
    for (let i = 0; i < 3; i++) await t.query(GENERATE(`ci-${i}`), undefined, as('ci'));
    expect((await t.query(GENERATE('ci-3'), undefined, as('ci'))).status).toBe(429);
    const bob = await t.query(GENERATE('bob-0'), undefined, as('bob'));
    expect(bob.status).toBe(200);
    expect(bob.body.errors).toBeUndefined();
  });

  it('counts every key-creating field, aliases and fragments included', async () => {
    await using t = await start();
    expect((await t.query(GENERATE('bob-0'), undefined, as('bob'))).body.errors).toBeUndefined(); // 1 of 3
    const twoAtOnce = `mutation { a: generateHyperstackApiKey(input: { name: "bob-1" }) { secret } ...More }
      fragment More on Mutation { b: createOctopusApiKey(input: { purpose: "bob-2" }) { secret } }`;
    expect((await t.query(twoAtOnce, undefined, as('bob'))).body.errors).toBeUndefined(); // 3 of 3
    t.resetCounts();
    expect((await t.query(GENERATE('bob-3'), undefined, as('bob'))).status).toBe(429);
    expect(t.counts()).toEqual({});
  });

  it('does not limit reads, renames or revokes', async () => {
    await using t = await start();
    for (let i = 0; i < 3; i++) await t.query(GENERATE(`ci-${i}`), undefined, as('ci'));
    expect((await t.query(GENERATE('ci-3'), undefined, as('ci'))).status).toBe(429); // the budget is spent

    const list = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(
      'query { apiKeys(filter: { providers: [HYPERSTACK] }) { nodes { id name } } }',
      undefined,
      as('ci'),
    );
    expect(list.status).toBe(200);
    expect(list.body.errors).toBeUndefined();
    const [first, second] = list.body.data!.apiKeys.nodes.filter((k) => k.name.startsWith('ci-'));

    t.resetCounts();
    const rename = await t.query(
      'mutation($id: ID!) { updateHyperstackApiKey(input: { id: $id, name: "ci-renamed", description: "still allowed" }) { apiKey { name } } }',
      { id: first!.id },
      as('ci'),
    );
    expect(rename.status).toBe(200);
    expect(rename.body).toEqual({ data: { updateHyperstackApiKey: { apiKey: { name: 'ci-renamed' } } } });
    const revoke = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: second!.id }, as('ci'));
    expect(revoke.status).toBe(200);
    expect(revoke.body).toEqual({ data: { deleteApiKey: { deletedId: second!.id } } });
    // The revoke reads the list first: it refuses to revoke the key keygate itself uses.
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1, 'PUT /v1/api-key/{api_key_id}': 1, 'DELETE /v1/api-key/{api_key_id}': 1 });
  });
});

describe('create rate limit: what counts', () => {
  it('an operation over the budget is refused whole and costs nothing: the budget is still there', async () => {
    const t = await startTestGateway({ env: { CREATE_RATE_LIMIT: '3', CREATE_RATE_LIMIT_WINDOW_S: '3600' }, hyperstack: { keyQuota: 100 } });
    try {
      const four = `mutation { ${[0, 1, 2, 3].map((i) => `k${i}: generateHyperstackApiKey(input: { name: "four-${i}" }) { secret }`).join(' ')} }`;
      const refused = await t.query(four);
      expect(refused.status).toBe(429);
      expect(t.hyperstack.requests('POST /v1/api-key/generate')).toBe(0);
      for (let i = 0; i < 3; i++) {
        const single = await t.query(GENERATE(`after-${i}`));
        expect({ i, status: single.status, errors: single.body.errors }).toEqual({ i, status: 200, errors: undefined });
      }
      expect((await t.query(GENERATE('after-3'))).status).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('counts the fields the schema marks with createLimit, not a list of names', () => {
    expect(createLimitedFields(buildSchema())).toEqual(new Set(['createOctopusApiKey', 'generateHyperstackApiKey', 'rotateApiKey', 'revokeLeakedSecret']));
    // Any mutation carrying the mark counts, whatever its name.
    const mutation = new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        mintThing: { type: GraphQLString, extensions: { createLimit: true } },
        renameThing: { type: GraphQLString },
      },
    });
    const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLString } } }), mutation });
    const document = parse('mutation { a: mintThing b: mintThing renameThing ...F } fragment F on Mutation { c: mintThing }');
    expect(countKeyCreations(schema, document)).toBe(3);
    expect(countKeyCreations(schema, parse('{ x }'))).toBe(0);
  });
});

describe('create rate limit behind a proxy (TRUST_PROXY=1)', () => {
  it('counts by the address the proxy appended, not by what the client wrote before it', async () => {
    await using t = await startTestGateway({
      env: { CREATE_RATE_LIMIT: '2', CREATE_RATE_LIMIT_WINDOW_S: '3600', TRUST_PROXY: '1' },
      hyperstack: { keyQuota: 100 },
    });
    const from = (spoofed: string) => ({ 'x-forwarded-for': `${spoofed}, 203.0.113.7` });
    expect((await t.query(GENERATE('p-0'), undefined, from('10.0.0.1'))).status).toBe(200);
    expect((await t.query(GENERATE('p-1'), undefined, from('10.0.0.2'))).status).toBe(200);
    expect((await t.query(GENERATE('p-2'), undefined, from('10.0.0.3'))).status).toBe(429);
    expect((await t.query(GENERATE('p-3'), undefined, { 'x-forwarded-for': '198.51.100.9' })).status).toBe(200);
  });
});

describe.skipIf(!REDIS_SERVER)('create rate limit shared through Redis', () => {
  /** Each test its own redis-server and two gateway instances sharing it. */
  const startFleet = async (redisUrl: string) => {
    const env = { CREATE_RATE_LIMIT: '5', CREATE_RATE_LIMIT_WINDOW_S: '3600', GATEWAY_TOKENS: TOKENS, REDIS_URL: redisUrl };
    return Promise.all([startTestGateway({ env, hyperstack: { keyQuota: 1000 } }), startTestGateway({ env, hyperstack: { keyQuota: 1000 } })]);
  };

  it('two gateway instances enforce one limit, even under concurrent requests', async () => {
    await using redis = await startRedis();
    const [first, second] = await startFleet(redis.url);
    await using a = first;
    await using b = second;
    // 20 creations at once, split across both instances: exactly 5 may pass.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).query(GENERATE(`fleet-${i}`), undefined, as('ci'))),
    );
    const passed = results.filter((r) => r.status === 200 && !r.body.errors);
    const limited = results.filter((r) => r.status === 429);
    expect(passed).toHaveLength(5);
    expect(limited).toHaveLength(15);
    expect(a.hyperstack.requests('POST /v1/api-key/generate') + b.hyperstack.requests('POST /v1/api-key/generate')).toBe(5);
  });

  it('falls back to an in-memory limit when Redis goes away, without failing requests', async () => {
    await using redis = await startRedis();
    const [first, second] = await startFleet(redis.url);
    await using a = first;
    await using b = second;
    expect((await b.query(GENERATE('before'), undefined, as('bob'))).status).toBe(200); // Redis is in use
    await redis.stop();
    const response = await a.query(GENERATE('after-redis'), undefined, as('bob'));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });
});

if (!REDIS_SERVER) console.warn('hardening-rate-limit: SKIPPED the Redis tests, redis-server is not installed (apt-get install redis-server)');
