// The design promises as few upstream calls as the data allows; these tests hold it to exact numbers.
import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';

/** Each test its own gateway, simulators and caches: no count depends on what ran before. */
const start = () =>
  startTestGateway({
    octopus: { users: octopusUsers(60) },
    hyperstack: { users: hyperstackUsers(55), keyQuota: 100 },
  });

const LIST = 'query { apiKeys(first: 500) { totalCount nodes { id name } } }';

async function ids(t: TestGateway, filter: string): Promise<string[]> {
  const response = await t.query<{ apiKeys: { nodes: { id: string }[] } }>(`query { apiKeys(first: 500, filter: ${filter}) { nodes { id } } }`);
  return response.body.data!.apiKeys.nodes.map((n) => n.id);
}

describe('upstream calls', () => {
  it('the unified list: both providers, one call each (plus /users/me once per credential)', async () => {
    await using t = await start();
    const first = await t.query(LIST);
    expect(first.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({
      'GET /api/users/me': 1,
      'GET /api/users/{userId}/apikeys': 1,
      'GET /v1/api-key': 1,
    });
  });

  it('the same list twice in a row: the current Octopus user is remembered', async () => {
    await using t = await start();
    await t.query(LIST);
    await t.query(LIST);
    expect(t.counts()).toEqual({ 'GET /api/users/me': 1, 'GET /api/users/{userId}/apikeys': 2, 'GET /v1/api-key': 2 });
  });

  it('asks both providers in parallel, not one after the other', async () => {
    await using t = await start();
    // Both lists are held: only parallel calls get both requests out while neither has answered.
    const octopus = t.octopus.hold('GET /api/users/{userId}/apikeys');
    const hyperstack = t.hyperstack.hold('GET /v1/api-key');
    const pending = t.query(LIST);
    await Promise.all([octopus.arrived, hyperstack.arrived]);
    octopus.release();
    hyperstack.release();
    expect((await pending).body.errors).toBeUndefined();
  });

  it('50 node lookups of one Octopus user cost one list walk', async () => {
    await using t = await start();
    const octopusIds = (await ids(t, '{ providers: [OCTOPUS], octopusUserId: "Users-2" }')).slice(0, 50);
    expect(octopusIds).toHaveLength(50);
    t.resetCounts();
    const response = await t.query<{ nodes: ({ id: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: octopusIds,
    });
    expect(response.body.data!.nodes.map((n) => n?.id)).toEqual(octopusIds);
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys': 1 });
  });

  it('one lone Octopus id costs one GET', async () => {
    await using t = await start();
    const [id] = await ids(t, '{ providers: [OCTOPUS] }');
    t.resetCounts();
    await t.query('query($id: ID!) { node(id: $id) { id } }', { id });
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 1 });
  });

  it('50 Hyperstack node lookups cost one list call', async () => {
    await using t = await start();
    const hyperstackIds = (await ids(t, '{ providers: [HYPERSTACK] }')).slice(0, 50);
    expect(hyperstackIds).toHaveLength(50);
    t.resetCounts();
    const response = await t.query<{ nodes: ({ id: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: hyperstackIds,
    });
    expect(response.body.data!.nodes.map((n) => n?.id)).toEqual(hyperstackIds);
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
  });

  it('a list plus a lookup of keys from it in one query calls each provider once', async () => {
    await using t = await start();
    const [octopusId] = await ids(t, '{ providers: [OCTOPUS] }');
    const [hyperstackId] = await ids(t, '{ providers: [HYPERSTACK] }');
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
    await using t = await start();
    const [id] = await ids(t, '{ providers: [OCTOPUS] }');
    t.resetCounts();
    await t.query('query($id: ID!) { a: node(id: $id) { id } b: apiKey(id: $id) { id } }', { id });
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 1 });
  });

  it('a filter on one provider does not call the other', async () => {
    await using t = await start();
    await t.query('query { apiKeys(filter: { providers: [HYPERSTACK] }) { totalCount } }');
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
  });

  it('an update that gives both fields does not read the key first', async () => {
    await using t = await start();
    const [id] = await ids(t, '{ providers: [HYPERSTACK] }');
    t.resetCounts();
    const response = await t.query(
      'mutation($id: ID!) { updateHyperstackApiKey(input: { id: $id, name: "renamed-bulk", description: "d" }) { apiKey { name } } }',
      { id },
    );
    expect(response.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({ 'PUT /v1/api-key/{api_key_id}': 1 });
  });

  it('with the cross-request user cache off, one request still asks who "me" is once', async () => {
    await using uncached = await startTestGateway({ env: { OCTOPUS_USER_CACHE_TTL_MS: '0' } });
    await uncached.query('{ viewer { octopusUser { id } } apiKeys { totalCount } again: apiKeys(first: 1) { totalCount } }');
    expect(uncached.counts()['GET /api/users/me']).toBe(1);
    await uncached.query('{ apiKeys { totalCount } }');
    expect(uncached.counts()['GET /api/users/me']).toBe(2); // and asks again in the next request
  });
});
