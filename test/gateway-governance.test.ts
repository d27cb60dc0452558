// Governance: risks, filters, orders and the summary, against simulators seeded with one key per risk.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GOVERNANCE_KEY_IDS, governanceOctopusUsers, startOctopusSimulator } from '../src/simulators/index.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { hyperstackUsers } from './support/seeds.js';

let t: TestGateway;
const now = new Date();

beforeAll(async () => {
  t = await startTestGateway({ octopus: { users: governanceOctopusUsers(now) }, hyperstack: { users: hyperstackUsers() } });
});
afterAll(() => t.close());

interface Key {
  id: string;
  provider: string;
  providerKeyId: string;
  name: string;
  createdAt: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  ageDays: number | null;
  risks: string[];
  accessLevel?: string | null;
  actorType?: string | null;
}
interface Page {
  apiKeys: {
    totalCount: number;
    nodes: Key[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    summary?: { totalCount: number; byProvider: { provider: string; count: number }[]; byRisk: { risk: string; count: number }[] };
  };
}

const KEYS = /* GraphQL */ `
  query Keys($first: Int, $after: String, $filter: ApiKeyFilter, $orderBy: ApiKeyOrder) {
    apiKeys(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      nodes {
        id provider providerKeyId name createdAt expiresAt lastUsedAt ageDays risks
        ... on OctopusApiKey { accessLevel actorType }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

async function keys(variables: Record<string, unknown>) {
  const response = await t.query<Page>(KEYS, variables);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.apiKeys;
}

/** Every key of the instance and of Hyperstack: the admin credential can list every user. */
const everyone = { octopusUsers: 'ALL' };

/**
 * The whole list in one page, and the ids a walk one key at a time saw, in order: at most a few
 * pages more than there are keys, so a walk that never ends fails instead of running for ever.
 */
async function walkOneByOne(g: TestGateway, variables: { filter: object; orderBy: object }): Promise<{ all: string[]; seen: string[] }> {
  const all = (await g.query<Page>(KEYS, { first: 100, ...variables })).body.data!.apiKeys.nodes.map((k) => k.id);
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < all.length + 3; i++) {
    const response: GraphQLResponse<Page> = await g.query<Page>(KEYS, { first: 1, after, ...variables });
    expect(response.body.errors).toBeUndefined();
    const { nodes, pageInfo } = response.body.data!.apiKeys;
    seen.push(...nodes.map((k) => k.id));
    if (!pageInfo.hasNextPage) break;
    after = pageInfo.endCursor;
  }
  return { all, seen };
}

describe('risks', () => {
  it('judges each key by the provider\'s data and the default policy (30 / 90 / 90 days)', async () => {
    const all = await keys({ first: 100, filter: everyone });
    const risks = Object.fromEntries(all.nodes.filter((k) => k.provider === 'OCTOPUS').map((k) => [k.providerKeyId, k.risks]));
    const ids = GOVERNANCE_KEY_IDS;
    expect(risks[ids.healthy]).toEqual(['FULL_ACCESS']);
    expect(risks[ids.expired]).toEqual(['EXPIRED', 'FULL_ACCESS']);
    expect(risks[ids.expiresIn3Days]).toEqual(['EXPIRING_SOON', 'FULL_ACCESS']);
    expect(risks[ids.neverExpires]).toEqual(['NEVER_EXPIRES', 'FULL_ACCESS']);
    expect(risks[ids.old]).toEqual(['OLDER_THAN_POLICY', 'FULL_ACCESS']);
    // Never used, but only 30 days old: not UNUSED yet.
    expect(risks[ids.neverUsed]).toEqual(['FULL_ACCESS']);
    expect(risks[ids.unusedFor120Days]).toEqual(['OLDER_THAN_POLICY', 'UNUSED', 'FULL_ACCESS']);
    // The server does not know: nobody can say it is unused.
    expect(risks[ids.lastUseUnknown]).toEqual(['FULL_ACCESS']);
    expect(risks[ids.readOnly]).toEqual([]);
    // Custom access, expires in 23 days: within the 30-day warning.
    expect(risks[ids.aiAgent]).toEqual(['EXPIRING_SOON']);
    // Hyperstack keys never expire; the seed's are from January, so also older than 90 days.
    for (const key of all.nodes.filter((k) => k.provider === 'HYPERSTACK')) expect(key.risks).toEqual(['NEVER_EXPIRES', 'OLDER_THAN_POLICY']);
  });

  it('shows the 2026 fields and the age in days', async () => {
    const all = await keys({ first: 100, filter: everyone });
    const byId = new Map(all.nodes.map((k) => [k.providerKeyId, k]));
    expect(byId.get(GOVERNANCE_KEY_IDS.readOnly)).toMatchObject({ accessLevel: 'READ_ONLY', actorType: 'USER', ageDays: 20 });
    expect(byId.get(GOVERNANCE_KEY_IDS.aiAgent)).toMatchObject({ accessLevel: 'CUSTOM', actorType: 'AI_AGENT', ageDays: 7 });
    expect(byId.get(GOVERNANCE_KEY_IDS.unusedFor120Days)!.lastUsedAt).not.toBeNull();
  });

  it('on a server before access levels (2021 shape, no AccessLevel), every Octopus key is FULL_ACCESS: it can do all its user can', async () => {
    const old = await startTestGateway({ octopus: { users: governanceOctopusUsers(now), readFields: '2021' }, noHyperstack: true });
    onTestFinished(() => old.close());
    const response = await old.query<Page>(KEYS, { first: 100, filter: { ...everyone, risks: ['FULL_ACCESS'] } });
    expect(response.body.errors).toBeUndefined();
    const listed = response.body.data!.apiKeys.nodes;
    const all = (await old.query<Page>(KEYS, { first: 100, filter: everyone })).body.data!.apiKeys.nodes;
    expect(listed.map((k) => k.id).sort()).toEqual(all.map((k) => k.id).sort());
    expect(new Set(listed.map((k) => k.accessLevel))).toEqual(new Set(['FULL_ACCESS']));
    // The keys the 2026 server reports as read-only or custom are, on this one, what every key is.
    expect(listed.find((k) => k.providerKeyId === GOVERNANCE_KEY_IDS.readOnly)!.risks).toContain('FULL_ACCESS');
  });

  it('follows the configured policy', async () => {
    const strict = await startTestGateway({
      octopus: { users: governanceOctopusUsers(now) },
      env: { EXPIRY_WARNING_DAYS: '200', MAX_KEY_AGE_DAYS: '15', UNUSED_DAYS: '10' },
    });
    try {
      const response = await strict.query<Page & { viewer: { policy: unknown } }>(
        `query { viewer { policy { expiryWarningDays maxKeyAgeDays unusedDays } } apiKeys(first: 100, filter: { octopusUserId: "Users-2", providers: [OCTOPUS] }) { nodes { providerKeyId risks } } }`,
      );
      expect(response.body.data!.viewer.policy).toEqual({ expiryWarningDays: 200, maxKeyAgeDays: 15, unusedDays: 10 });
      const risks = Object.fromEntries(response.body.data!.apiKeys.nodes.map((k) => [k.providerKeyId, k.risks]));
      // 30 days old, never used: over 10 days, so UNUSED; over 15 days, so old; expires in 150 days < 200.
      expect(risks[GOVERNANCE_KEY_IDS.neverUsed]).toEqual(['EXPIRING_SOON', 'OLDER_THAN_POLICY', 'UNUSED', 'FULL_ACCESS']);
    } finally {
      await strict.close();
    }
  });

  it('refuses a policy variable out of range at startup, naming it', async () => {
    await expect(startTestGateway({ env: { UNUSED_DAYS: '0' } })).rejects.toThrow(/UNUSED_DAYS/);
  });
});

describe('filters', () => {
  it('risks (any of), expiresBefore and createdBefore', async () => {
    const ids = (page: { nodes: Key[] }) => page.nodes.map((k) => k.providerKeyId).sort();
    const risky = await keys({ first: 100, filter: { ...everyone, providers: ['OCTOPUS'], risks: ['EXPIRED', 'EXPIRING_SOON'] } });
    expect(ids(risky)).toEqual([GOVERNANCE_KEY_IDS.expired, GOVERNANCE_KEY_IDS.expiresIn3Days, GOVERNANCE_KEY_IDS.aiAgent].sort());
    expect(risky.totalCount).toBe(3);

    const unused = await keys({ first: 100, filter: { ...everyone, risks: ['UNUSED'] } });
    expect(ids(unused)).toEqual([GOVERNANCE_KEY_IDS.unusedFor120Days]);

    const inAWeek = new Date(now.getTime() + 7 * 86_400_000).toISOString();
    const expiring = await keys({ first: 100, filter: { ...everyone, expiresBefore: inAWeek } });
    // Keys that never expire (every Hyperstack key) are left out.
    expect(ids(expiring)).toEqual([GOVERNANCE_KEY_IDS.expired, GOVERNANCE_KEY_IDS.expiresIn3Days].sort());

    const hundredDaysAgo = new Date(now.getTime() - 100 * 86_400_000).toISOString();
    const old = await keys({ first: 100, filter: { ...everyone, providers: ['OCTOPUS'], createdBefore: hundredDaysAgo } });
    expect(ids(old)).toEqual([GOVERNANCE_KEY_IDS.old, GOVERNANCE_KEY_IDS.unusedFor120Days].sort());
  });

  it('refuses a date without a zone before any upstream call', async () => {
    t.resetCounts();
    const response = await t.query(KEYS, { filter: { expiresBefore: '2027-01-01T00:00:00' } });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.counts()).toEqual({});
  });
});

describe('orders', () => {
  const ORDERS = ['CREATED_AT', 'EXPIRES_AT', 'LAST_USED_AT', 'NAME'].flatMap((field) =>
    ['ASC', 'DESC'].map((direction) => ({ field, direction })),
  );
  const valueOf = (key: Key, field: string) =>
    field === 'NAME'
      ? key.name.toLowerCase()
      : ({ CREATED_AT: key.createdAt, EXPIRES_AT: key.expiresAt, LAST_USED_AT: key.lastUsedAt } as Record<string, string | null>)[field]!;

  it.each(ORDERS)('$field $direction: in order, keys without a value last, ties by id', async (orderBy) => {
    const page = await keys({ first: 100, filter: everyone, orderBy });
    const values = page.nodes.map((k) => ({ value: valueOf(k, orderBy.field), id: k.id }));
    const withValue = values.filter((v) => v.value !== null);
    const without = values.filter((v) => v.value === null);
    expect(values).toEqual([...withValue, ...without]);
    const sorted = [...withValue].sort((a, b) => {
      if (a.value !== b.value) return (a.value! < b.value! ? -1 : 1) * (orderBy.direction === 'ASC' ? 1 : -1);
      return a.id < b.id ? -1 : 1;
    });
    expect(withValue).toEqual(sorted);
    expect(without.map((v) => v.id)).toEqual([...without.map((v) => v.id)].sort());
  });

  it('refuses a cursor used with another order, with BAD_USER_INPUT and no upstream call', async () => {
    const page = await keys({ first: 2, filter: everyone, orderBy: { field: 'NAME', direction: 'ASC' } });
    t.resetCounts();
    const response = await t.query(KEYS, { first: 2, after: page.pageInfo.endCursor, filter: everyone });
    expect(response.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/another order/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(t.counts()).toEqual({});
  });

  it.each(ORDERS)(
    '$field $direction: paging with first: 3 while keys come and go shows every lasting key exactly once',
    async (orderBy) => {
      // Users-2's list (the credential is Users-1's, whose last use changes with every request).
      const filter = { octopusUserId: 'Users-2' };
      const lasting = new Set((await keys({ first: 100, filter, orderBy })).nodes.map((k) => k.id));
      const seen: string[] = [];
      const added: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 50; i++) {
        const page = await keys({ first: 3, after, filter, orderBy });
        seen.push(...page.nodes.map((k) => k.id));
        // Between pages: a key comes, and one that came earlier goes.
        added.push(t.octopus.addKey('Users-2', { purpose: `churn ${orderBy.field} ${i}`, expires: new Date(now.getTime() + (i + 1) * 3_600_000) }).id);
        if (added.length > 1) t.octopus.removeKey(added.shift()!);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      for (const id of added) t.octopus.removeKey(id);
      expect(new Set(seen).size).toBe(seen.length); // nothing twice
      for (const id of lasting) expect(seen).toContain(id); // nothing lasting missed
    },
  );
});

describe('LAST_USED_AT while keygate\'s own calls use a key', () => {
  it.each([
    ['a clock behind keygate\'s', -3_600_000],
    ['a clock ahead of keygate\'s', 3_600_000],
  ])('ASC, the provider on %s: paging the credential\'s own list one key at a time ends, with each key once', async (_, skew) => {
    // Every request bumps the last use of the key keygate calls with, a second later each time.
    let tick = Date.now() + skew;
    await using g = await startTestGateway({ octopus: { users: governanceOctopusUsers(now), now: () => new Date((tick += 1_000)) } });
    // Beside the credential's own key: keys used before, and keys never used (last in either direction).
    g.octopus.addKey('Users-1', { purpose: 'used last week', lastUsed: new Date(now.getTime() - 7 * 86_400_000) });
    g.octopus.addKey('Users-1', { purpose: 'never used', lastUsed: null });
    g.octopus.addKey('Users-1', { purpose: 'never used either', lastUsed: null });
    const { all, seen } = await walkOneByOne(g, { filter: { providers: ['OCTOPUS'] }, orderBy: { field: 'LAST_USED_AT', direction: 'ASC' } });
    expect(seen.length).toBe(all.length);
    expect([...seen].sort()).toEqual([...all].sort());
  });
});

describe('LAST_USED_AT across servers whose clocks differ', () => {
  it('ASC: paging two accounts one key at a time ends, with each key once', async () => {
    // Each server bumps the last use of keygate's key a second later on every call; one an hour behind the other.
    let behind = Date.now() - 3_600_000;
    let onTime = Date.now();
    const staging = await startOctopusSimulator({ users: governanceOctopusUsers(now), now: () => new Date((onTime += 1_000)) });
    onTestFinished(() => staging.close());
    await using g = await startTestGateway({
      octopus: { users: governanceOctopusUsers(now), now: () => new Date((behind += 1_000)) },
      accounts: [{ name: 'staging', provider: 'OCTOPUS', baseUrl: `${staging.url}/api`, apiKey: staging.credentials['Users-1'] }],
    });
    for (const sim of [g.octopus, staging]) sim.addKey('Users-1', { purpose: 'never used', lastUsed: null });
    const { all, seen } = await walkOneByOne(g, { filter: { providers: ['OCTOPUS'] }, orderBy: { field: 'LAST_USED_AT', direction: 'ASC' } });
    expect(all).toHaveLength(4);
    expect(seen.length).toBe(all.length);
    expect([...seen].sort()).toEqual([...all].sort());
  });
});

describe('NAME with a purpose of any length', () => {
  it('pages one key at a time past keys whose purposes are thousands of characters long', async () => {
    await using g = await startTestGateway({ octopus: { users: governanceOctopusUsers(now) } });
    // Octopus sets no limit; keys made elsewhere can have any purpose. Two share a long prefix.
    g.octopus.addKey('Users-1', { purpose: `Long purpose ${'x'.repeat(3_000)} one` });
    g.octopus.addKey('Users-1', { purpose: `Long purpose ${'x'.repeat(3_000)} two` });
    g.octopus.addKey('Users-1', { purpose: `Ünïcödé ${'\u{1F511}'.repeat(400)}` });
    g.octopus.addKey('Users-1', { purpose: 'Z last' });
    const { all, seen } = await walkOneByOne(g, { filter: { providers: ['OCTOPUS'] }, orderBy: { field: 'NAME', direction: 'ASC' } });
    expect(all).toHaveLength(5);
    expect(seen).toEqual(all);
  });
});

describe('summary', () => {
  const SUMMARY = /* GraphQL */ `
    query Summary($filter: ApiKeyFilter) {
      apiKeys(first: 2, filter: $filter) {
        totalCount
        nodes { risks provider }
        summary { totalCount byProvider { provider count } byRisk { risk count } byAccount { account { name provider } count } }
      }
    }
  `;

  it('counts by provider and risk over the whole filtered list, not just the page', async () => {
    const everything = await keys({ first: 100, filter: everyone });
    const response = await t.query<Page>(SUMMARY, { filter: everyone });
    const summary = response.body.data!.apiKeys.summary!;
    expect(response.body.data!.apiKeys.nodes).toHaveLength(2);
    expect(summary.totalCount).toBe(everything.totalCount);
    const count = (test: (k: Key) => boolean) => everything.nodes.filter(test).length;
    expect(summary.byProvider).toEqual([
      { provider: 'OCTOPUS', count: count((k) => k.provider === 'OCTOPUS') },
      { provider: 'HYPERSTACK', count: count((k) => k.provider === 'HYPERSTACK') },
    ]);
    for (const { risk, count: n } of summary.byRisk) expect(n).toBe(count((k) => k.risks.includes(risk)));
    expect(summary.byRisk.map((r) => r.risk)).toEqual(['EXPIRED', 'EXPIRING_SOON', 'NEVER_EXPIRES', 'OLDER_THAN_POLICY', 'UNUSED', 'FULL_ACCESS']);
  });

  it('costs no upstream call beyond reading the whole list once, nor do the risks', async () => {
    const filter = { octopusUserId: 'Users-2' };
    t.resetCounts();
    await t.query('query($filter: ApiKeyFilter) { apiKeys(first: 100, filter: $filter) { nodes { id } } }', { filter });
    const wholeList = t.counts();
    expect(wholeList).toEqual({ 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 1 });
    // A page of 2 with the summary and every key's risks: the whole list, read once.
    t.resetCounts();
    const response = await t.query<Page>(SUMMARY, { filter });
    expect(response.body.errors).toBeUndefined();
    expect(t.counts()).toEqual(wholeList);
  });
});

describe('the age policy at its boundary', () => {
  it('a key 90 days and an hour old is OLDER_THAN_POLICY (MAX_KEY_AGE_DAYS 90), though its ageDays says 90; one an hour short of 90 days is not', async () => {
    const at = Date.now();
    const ago = (ms: number) => new Date(at - ms);
    const [DAY, HOUR] = [86_400_000, 3_600_000];
    await using g = await startTestGateway({
      hyperstack: {
        users: [
          {
            name: 'alice',
            keys: [
              { name: 'gateway', createdAt: ago(DAY) },
              { name: 'just over', createdAt: ago(90 * DAY + HOUR) },
              { name: 'just under', createdAt: ago(90 * DAY - HOUR) },
            ],
          },
        ],
      },
    });
    const { body } = await g.query<{ apiKeys: { nodes: { name: string; ageDays: number; risks: string[] }[] } }>(
      '{ apiKeys(first: 10, filter: { providers: [HYPERSTACK] }) { nodes { name ageDays risks } } }',
    );
    const byName = Object.fromEntries(body.data!.apiKeys.nodes.map((k) => [k.name, [k.ageDays, k.risks]]));
    expect(byName['just over']).toEqual([90, ['NEVER_EXPIRES', 'OLDER_THAN_POLICY']]);
    expect(byName['just under']).toEqual([89, ['NEVER_EXPIRES']]);
  });
});
