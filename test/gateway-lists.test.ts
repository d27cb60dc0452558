// Lists that scale: what a list reads upstream as accounts grow, and what is shared across requests.
// Every count is exact, at the simulators.
import { describe, expect, it, onTestFinished } from 'vitest';
import { startTestGateway, type TestGatewayOptions } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';

const KEYS_ROUTE = 'GET /api/users/{userId}/apikeys';

/** Users-1 (the credential's user) with `bulk` more keys. */
async function gateway(bulk: number, options: TestGatewayOptions = {}) {
  const users = octopusUsers();
  users[0] = { ...users[0]!, bulkKeys: bulk };
  const t = await startTestGateway({ octopus: { users }, hyperstack: { users: hyperstackUsers() }, ...options });
  onTestFinished(() => t.close());
  return t;
}

interface Page {
  apiKeys: { totalCount: number; nodes: { id: string; name: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

describe('a page from the top', () => {
  it('apiKeys(first: 20) reads one Octopus page, one Hyperstack list and /users/me, whatever the account size', async () => {
    for (const bulk of [10, 10_000]) {
      const t = await gateway(bulk);
      const response = await t.query<Page>('{ apiKeys(first: 20) { totalCount nodes { id name } pageInfo { hasNextPage } } }');
      expect(response.body.errors).toBeUndefined();
      expect(t.counts()).toEqual({ 'GET /api/users/me': 1, [KEYS_ROUTE]: 1, 'GET /v1/api-key': 1 });
      // The count comes from TotalResults: every key, not just the page.
      const total = t.octopus.keysOf('Users-1').length + 3;
      expect(response.body.data!.apiKeys.totalCount).toBe(total);
      expect(response.body.data!.apiKeys.nodes).toHaveLength(Math.min(20, total));
      expect(response.body.data!.apiKeys.pageInfo.hasNextPage).toBe(total > 20);
    }
  });

  it('totalCount alone, and a search, cost one Octopus page too', async () => {
    const t = await gateway(10_000);
    await t.query('{ viewer { octopusUser { id } } }'); // remember /users/me
    t.resetCounts();
    const count = await t.query<Page>('{ apiKeys { totalCount } }');
    expect(count.body.data!.apiKeys.totalCount).toBe(10_006);
    const search = await t.query<Page>('{ apiKeys(first: 5, filter: { search: "bulk key 12" }) { totalCount nodes { name } } }');
    const names = search.body.data!.apiKeys.nodes.map((k) => k.name);
    expect(names).toHaveLength(5);
    for (const name of names) expect(name.toLowerCase()).toContain('bulk key 12');
    // partialPurpose filtered at the server: its TotalResults is the count.
    expect(search.body.data!.apiKeys.totalCount).toBe(t.octopus.keysOf('Users-1').filter((k) => /bulk key 12/i.test(k.purpose)).length);
    expect(t.counts()).toEqual({ [KEYS_ROUTE]: 2, 'GET /v1/api-key': 2 });
  });

  it('falls back to the whole list when the server ignores partialPurpose (older servers)', async () => {
    const users = octopusUsers();
    const t = await startTestGateway({ octopus: { users, listFilters: [] }, hyperstack: { users: hyperstackUsers() } });
    onTestFinished(() => t.close());
    const response = await t.query<Page>('{ apiKeys(filter: { search: "pipeline", providers: [OCTOPUS] }) { totalCount nodes { name } } }');
    expect(response.body.data!.apiKeys).toEqual({ totalCount: 1, nodes: [{ name: 'Deploy pipeline' }] });
  });
});

describe('whole lists', () => {
  it('are walked in pages of OCTOPUS_PAGE_SIZE, in parallel once the total is known', async () => {
    const t = await gateway(10_000, { env: { OCTOPUS_PAGE_SIZE: '1000' } });
    const response = await t.query<Page>('{ apiKeys(first: 1, orderBy: { field: NAME, direction: ASC }) { totalCount } }');
    expect(response.body.data!.apiKeys.totalCount).toBe(10_006);
    // 10,003 keys: a first page of 1,000, then 10 more (each starting one key early).
    expect(t.counts()).toEqual({ 'GET /api/users/me': 1, [KEYS_ROUTE]: 11, 'GET /v1/api-key': 1 });
  });

  it('paging through 10,000 keys with first: 500 costs at most keys / 500 + 2 calls with the cache on, each key once', async () => {
    const t = await gateway(10_000, { env: { LIST_CACHE_TTL_MS: '600000' } });
    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    do {
      const response: { body: { data?: Page | null } } = await t.query<Page>(
        'query($after: String) { apiKeys(first: 500, after: $after, filter: { providers: [OCTOPUS] }) { nodes { id } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = response.body.data!.apiKeys;
      for (const node of page.nodes) {
        expect(seen.has(node.id)).toBe(false);
        seen.add(node.id);
      }
      pages++;
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen.size).toBe(10_003);
    expect(pages).toBe(21);
    const calls = Object.values(t.counts()).reduce((a, b) => a + b, 0);
    expect(calls).toBeLessThanOrEqual(10_003 / 500 + 2);
  });
});

describe('sharing across requests', () => {
  it('identical list loads in flight at the same time share one upstream call', async () => {
    const t = await gateway(10, { env: { UPSTREAM_DEDUPE: '1' } });
    await t.query('{ viewer { octopusUser { id } } }'); // remember /users/me
    t.resetCounts();
    const held = t.octopus.hold(KEYS_ROUTE);
    const query = '{ apiKeys(filter: { providers: [OCTOPUS] }) { totalCount } }';
    const pending = Array.from({ length: 5 }, () => t.query<Page>(query));
    await held.arrived;
    const shared = t.gateway.upstreams.lists.stats;
    await expect.poll(() => shared.joined).toBe(4);
    held.release();
    const responses = await Promise.all(pending);
    for (const response of responses) expect(response.body.data!.apiKeys.totalCount).toBe(13);
    expect(t.counts()).toEqual({ [KEYS_ROUTE]: 1 });
  });

  it("a flight that fails on its starter's own limit (the call budget) is not a joiner's failure: the joiner loads on its own", async () => {
    const t = await gateway(5_000, {
      env: { UPSTREAM_DEDUPE: '1', OCTOPUS_PAGE_SIZE: '100', MAX_UPSTREAM_CALLS: '55', HEAVY_LIST_WAIT_MS: '60000', HEAVY_LIST_CONCURRENCY: '8' },
    });
    const WHOLE = '{ apiKeys(first: 1, orderBy: { field: NAME, direction: ASC }, filter: { providers: [OCTOPUS] }) { totalCount } }';
    expect((await t.query(WHOLE)).body.errors).toBeUndefined(); // 51 pages: within 55; the list's size is known now
    // A spends 12 calls on lookups of keys of other users first: its walk then exceeds its budget.
    const lookups = Array.from({ length: 12 }, (_, i) => `n${i}: node(id: "${Buffer.from(`OctopusApiKey:default/Users-9${i}/apikeys-X${i}`).toString('base64')}") { id }`).join(' ');
    const held = t.octopus.hold(KEYS_ROUTE);
    const a = t.query(`{ ${lookups} l: apiKeys(first: 1, orderBy: { field: NAME, direction: ASC }, filter: { providers: [OCTOPUS] }) { totalCount } }`);
    await held.arrived;
    const b = t.query<Page>(WHOLE);
    await expect.poll(() => t.gateway.upstreams.lists.stats.joined).toBeGreaterThan(0);
    held.release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.body.errors?.[0]?.message).toMatch(/more than 55 upstream calls/);
    expect(rb.body.errors).toBeUndefined();
    expect(rb.body.data!.apiKeys.totalCount).toBe(t.octopus.keysOf('Users-1').length);
  });

  it('UPSTREAM_DEDUPE=0: each request makes its own call', async () => {
    const t = await gateway(10, { env: { UPSTREAM_DEDUPE: '0' } });
    await t.query('{ viewer { octopusUser { id } } }');
    t.resetCounts();
    const held = t.octopus.hold(KEYS_ROUTE);
    const pending = Array.from({ length: 3 }, () => t.query('{ apiKeys(filter: { providers: [OCTOPUS] }) { totalCount } }'));
    await held.arrivals(3);
    held.release();
    await Promise.all(pending);
    expect(t.counts()).toEqual({ [KEYS_ROUTE]: 3 });
  });

  it('the cache answers a repeated list, and every mutation invalidates what it changed', async () => {
    const t = await gateway(0, { env: { LIST_CACHE_TTL_MS: '600000' } });
    const LIST = '{ apiKeys(first: 100, orderBy: { field: NAME, direction: ASC }) { nodes { id name } } }';
    const names = async () => (await t.query<Page>(LIST)).body.data!.apiKeys.nodes.map((k) => k.name);
    const before = await names();
    t.resetCounts();
    expect(await names()).toEqual(before);
    expect(t.counts()).toEqual({});

    const mutations: [string, (names: string[]) => void, string][] = [
      ['mutation { createOctopusApiKey(input: { purpose: "cached-octopus" }) { secret } }', (n) => expect(n).toContain('cached-octopus'), KEYS_ROUTE],
      ['mutation { generateHyperstackApiKey(input: { name: "cached-hyperstack" }) { secret } }', (n) => expect(n).toContain('cached-hyperstack'), 'GET /v1/api-key'],
    ];
    for (const [mutation, check, route] of mutations) {
      expect((await t.query(mutation)).body.errors).toBeUndefined();
      t.resetCounts();
      check(await names());
      expect(t.counts()).toEqual({ [route]: 1 }); // only the changed list is read again
    }

    const ids = Object.fromEntries((await t.query<Page>(LIST)).body.data!.apiKeys.nodes.map((k) => [k.name, k.id]));
    await t.query('mutation($id: ID!) { updateHyperstackApiKey(input: { id: $id, name: "renamed-hyperstack" }) { apiKey { id } } }', {
      id: ids['cached-hyperstack'],
    });
    expect(await names()).toContain('renamed-hyperstack');
    for (const name of ['renamed-hyperstack', 'cached-octopus']) {
      const response = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: ids[name === 'renamed-hyperstack' ? 'cached-hyperstack' : name] });
      expect(response.body.errors).toBeUndefined();
      expect(await names()).not.toContain(name);
    }
  });
});

describe('memory pressure', () => {
  it('past HEAVY_LIST_CONCURRENCY a whole-list read waits briefly, then gets a coded 503 with Retry-After', async () => {
    const t = await gateway(10, {
      env: { HEAVY_LIST_CONCURRENCY: '1', HEAVY_LIST_WAIT_MS: '50' },
      upstream: { timeoutMs: 60_000 },
    });
    await t.query('{ viewer { octopusUser { id } } }');
    const held = t.octopus.hold(KEYS_ROUTE);
    const ordered = (user: string) =>
      t.query<Page>(`{ apiKeys(filter: { octopusUserId: "${user}", providers: [OCTOPUS] }, orderBy: { field: NAME, direction: ASC }) { totalCount } }`);
    const first = ordered('Users-1');
    await held.arrived; // the first walk holds the only slot
    const refused = await ordered('Users-2');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
    held.release();
    expect((await first).body.data!.apiKeys.totalCount).toBe(13);
  });

  it('whole lists are admitted by the keys they hold (HEAVY_LIST_KEYS), a list of unknown length alone; past that a coded 503', async () => {
    const t = await gateway(10, {
      env: { HEAVY_LIST_KEYS: '15', HEAVY_LIST_WAIT_MS: '50' }, // HEAVY_LIST_CONCURRENCY stays 4
      upstream: { timeoutMs: 60_000 },
    });
    await t.query('{ viewer { octopusUser { id } } }');
    const ordered = (user: string) =>
      t.query<Page>(`{ apiKeys(filter: { octopusUserId: "${user}", providers: [OCTOPUS] }, orderBy: { field: NAME, direction: ASC }) { totalCount } }`);
    const refusedWhileHeld = async (holder: string, other: string) => {
      const held = t.octopus.hold(KEYS_ROUTE);
      const first = ordered(holder);
      await held.arrived;
      const refused = await ordered(other);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
      held.release();
      return (await first).body.data!.apiKeys.totalCount;
    };
    // Nothing read yet: the first whole list may be of any length, so it runs alone.
    expect(await refusedWhileHeld('Users-1', 'Users-2')).toBe(13);
    expect((await ordered('Users-2')).body.data!.apiKeys.totalCount).toBe(3);
    // Known now: 13 + 3 keys do not fit in 15.
    expect(await refusedWhileHeld('Users-1', 'Users-2')).toBe(13);
    // 3 + 3 do: two lists run at once.
    const held = t.octopus.hold(KEYS_ROUTE);
    const both = [ordered('Users-2'), ordered('Users-2')];
    await held.arrivals(2);
    held.release();
    for (const response of await Promise.all(both)) expect(response.body.data!.apiKeys.totalCount).toBe(3);
  });

  it('a request that holds an admission never waits on a shared walk another request started before being admitted', async () => {
    // HEAVY_LIST_WAIT_MS at its maximum, the test's own timeout: a request waiting on itself would
    // answer 503 only after it, so the test fails by timing out rather than racing a clock.
    const t = await gateway(10, {
      env: { UPSTREAM_DEDUPE: '1', LIST_CACHE_TTL_MS: '0', HEAVY_LIST_WAIT_MS: '60000' },
      upstream: { timeoutMs: 60_000 },
    });
    const ids = (await t.query<Page>('{ apiKeys(filter: { octopusUserId: "Users-2", providers: [OCTOPUS] }) { nodes { id name } } }')).body.data!
      .apiKeys.nodes.map((k) => k.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    // B: every user's keys, of unknown length, so admitted alone; held at the users list.
    const users = t.octopus.hold('GET /api/users');
    const everyone = t.query<Page>('{ apiKeys(filter: { octopusUsers: ALL, providers: [OCTOPUS] }, orderBy: { field: NAME, direction: ASC }) { totalCount } }');
    await users.arrived;
    // A: two ids of Users-2 need Users-2's whole list, the same shared walk B is about to need.
    const lookup = t.query<{ nodes: ({ id: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ids.slice(0, 2) });
    await expect.poll(() => t.gateway.upstreams.heavy.waitingCount, { timeout: 30_000 }).toBe(1);
    users.release();
    const [b, a] = await Promise.all([everyone, lookup]);
    expect(b.body.errors).toBeUndefined();
    expect(b.body.data!.apiKeys.totalCount).toBe(16);
    expect(a.body.errors).toBeUndefined();
    expect(a.body.data!.nodes.map((n) => n?.id)).toEqual(ids.slice(0, 2));
  });

  it('a search of every user\'s keys does not make the whole list look small to the limiter', async () => {
    const t = await gateway(10, { env: { HEAVY_LIST_KEYS: '15', HEAVY_LIST_WAIT_MS: '50', LIST_CACHE_TTL_MS: '0' }, upstream: { timeoutMs: 60_000 } });
    const everyone = (search?: string) =>
      t.query<Page>(
        `{ apiKeys(filter: { octopusUsers: ALL, providers: [OCTOPUS]${search ? `, search: "${search}"` : ''} }, orderBy: { field: NAME, direction: ASC }) { totalCount } }`,
      );
    expect((await everyone()).body.data!.apiKeys.totalCount).toBe(16); // now known: 16 keys, more than 15
    expect((await everyone('no such key')).body.data!.apiKeys.totalCount).toBe(0);
    // Known as 16 still: while one runs (held before any user's keys are read), a second waits and
    // is refused; a remembered size of 0 would let both run.
    const held = t.octopus.hold('GET /api/users');
    const first = everyone();
    await held.arrived;
    const second = await everyone();
    expect(second.status).toBe(503);
    held.release();
    expect((await first).body.data!.apiKeys.totalCount).toBe(16);
  });
});
