// The design promises as few upstream calls as the data allows; these tests hold it to exact numbers.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    octopus: { users: octopusUsers(60) },
    hyperstack: { users: hyperstackUsers(55), keyQuota: 100 },
    upstream: { timeoutMs: 300 },
  });
});
afterAll(() => t.close());
beforeEach(() => t.resetCounts());

const LIST = 'query { apiKeys(first: 500) { totalCount nodes { id name } } }';

async function ids(filter: string): Promise<string[]> {
  const response = await t.query<{ apiKeys: { nodes: { id: string }[] } }>(`query { apiKeys(first: 500, filter: ${filter}) { nodes { id } } }`);
  return response.body.data!.apiKeys.nodes.map((n) => n.id);
}

describe('upstream calls', () => {
  it('the unified list: both providers, one call each (plus /users/me once per credential)', async () => {
    const first = await t.query(LIST);
    expect(first.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({
      'GET /api/users/me': 1,
      'GET /api/users/{userId}/apikeys': 1,
      'GET /v1/api-key': 1,
    });
  });

  it('the same list twice in a row: the current Octopus user is remembered', async () => {
    await t.query(LIST);
    await t.query(LIST);
    expect(t.counts()['GET /api/users/me'] ?? 0).toBe(0); // remembered from the previous test
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys': 2, 'GET /v1/api-key': 2 });
  });

  it('asks both providers in parallel, not one after the other', async () => {
    // Both lists hang: only parallel calls get both requests out while neither has answered.
    t.octopus.fault('GET /api/users/{userId}/apikeys', { mode: 'hang' });
    t.hyperstack.fault('GET /v1/api-key', { mode: 'hang' });
    try {
      const pending = t.query(LIST);
      await vi.waitFor(() => {
        expect(t.counts()).toMatchObject({ 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 });
      });
      const response = await pending; // both cut at the upstream timeout
      expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['UPSTREAM_TIMEOUT', 'UPSTREAM_TIMEOUT']);
    } finally {
      t.octopus.clearFaults();
      t.hyperstack.clearFaults();
    }
  });

  it('50 node lookups of one Octopus user cost one list walk', async () => {
    const octopusIds = (await ids('{ providers: [OCTOPUS], octopusUserId: "Users-2" }')).slice(0, 50);
    expect(octopusIds).toHaveLength(50);
    t.resetCounts();
    const response = await t.query<{ nodes: ({ id: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: octopusIds,
    });
    expect(response.body.data!.nodes.map((n) => n?.id)).toEqual(octopusIds);
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys': 1 });
  });

  it('one lone Octopus id costs one GET', async () => {
    const [id] = await ids('{ providers: [OCTOPUS] }');
    t.resetCounts();
    await t.query('query($id: ID!) { node(id: $id) { id } }', { id });
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 1 });
  });

  it('50 Hyperstack node lookups cost one list call', async () => {
    const hyperstackIds = (await ids('{ providers: [HYPERSTACK] }')).slice(0, 50);
    expect(hyperstackIds).toHaveLength(50);
    t.resetCounts();
    const response = await t.query<{ nodes: ({ id: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: hyperstackIds,
    });
    expect(response.body.data!.nodes.map((n) => n?.id)).toEqual(hyperstackIds);
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
  });

  it('a list plus a lookup of keys from it in one query calls each provider once', async () => {
    const [octopusId] = await ids('{ providers: [OCTOPUS] }');
    const [hyperstackId] = await ids('{ providers: [HYPERSTACK] }');
    t.resetCounts();
    const response = await t.query(
      `query($o: ID!, $h: ID!) {
        apiKeys(first: 500) { totalCount }
        o: node(id: $o) { id }
        h: apiKey(id: $h) { id name }
      }`,
      { o: octopusId, h: hyperstackId },
    );
    expect(response.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 });
  });

  it('the same key asked twice in one query is fetched once', async () => {
    const [id] = await ids('{ providers: [OCTOPUS] }');
    t.resetCounts();
    await t.query('query($id: ID!) { a: node(id: $id) { id } b: apiKey(id: $id) { id } }', { id });
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 1 });
  });

  it('a filter on one provider does not call the other', async () => {
    await t.query('query { apiKeys(filter: { providers: [HYPERSTACK] }) { totalCount } }');
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
  });

  it('an update that gives both fields does not read the key first', async () => {
    const [id] = await ids('{ providers: [HYPERSTACK] }');
    t.resetCounts();
    const response = await t.query(
      'mutation($id: ID!) { updateHyperstackApiKey(input: { id: $id, name: "renamed-bulk", description: "d" }) { apiKey { name } } }',
      { id },
    );
    expect(response.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({ 'PUT /v1/api-key/{api_key_id}': 1 });
  });

  it('with the cross-request user cache off, one request still asks who "me" is once', async () => {
    const uncached = await startTestGateway({ env: { OCTOPUS_USER_CACHE_TTL_MS: '0' } });
    try {
      await uncached.query('{ viewer { octopusUser { id } } apiKeys { totalCount } again: apiKeys(first: 1) { totalCount } }');
      expect(uncached.counts()['GET /api/users/me']).toBe(1);
    } finally {
      await uncached.close();
    }
  });
});
