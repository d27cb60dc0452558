import { encodeGlobalID } from '@pothos/plugin-relay';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';

let t: TestGateway;

// Each test its own gateway and simulators, closed when it finishes.
beforeEach(async () => {
  const started = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() } });
  onTestFinished(() => started.close());
  t = started;
});

interface Key {
  id: string;
  provider: string;
  providerKeyId: string;
  name: string;
  description: string | null;
  createdAt: string | null;
  expiresAt: string | null;
  keyHint: string | null;
  purpose?: string;
  userId?: string;
}
interface Page {
  apiKeys: {
    totalCount: number;
    unavailableProviders: string[];
    edges: { cursor: string; node: Key }[];
    nodes: Key[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

const LIST = /* GraphQL */ `
  query List($first: Int, $after: String, $last: Int, $before: String, $filter: ApiKeyFilter) {
    apiKeys(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      unavailableProviders
      edges { cursor node { id } }
      nodes {
        id provider providerKeyId name description createdAt expiresAt keyHint
        ... on OctopusApiKey { purpose userId }
      }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

async function list(variables: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const response = await t.query<Page>(LIST, variables, headers);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.apiKeys;
}

describe('apiKeys', () => {
  it('merges both providers newest first, ties broken by id', async () => {
    const page = await list();
    expect(page.totalCount).toBe(6);
    expect(page.unavailableProviders).toEqual([]);
    expect(page.nodes.map((k) => `${k.provider}:${k.name}`)).toEqual([
      'OCTOPUS:Admin CLI',
      'HYPERSTACK:training',
      // Both created on day 20: ordered by global id.
      ...['HYPERSTACK:tie', 'OCTOPUS:Tie breaker'].sort((a, b) => {
        const id = (s: string) => page.nodes.find((k) => `${k.provider}:${k.name}` === s)!.id;
        return id(a) < id(b) ? -1 : 1;
      }),
      'OCTOPUS:Deploy pipeline',
      'HYPERSTACK:gateway',
    ]);
    expect(page.edges.map((e) => e.node.id)).toEqual(page.nodes.map((k) => k.id));
  });

  it('exposes each provider\'s fields in the common shape', async () => {
    const page = await list();
    const octopus = page.nodes.find((k) => k.name === 'Admin CLI')!;
    expect(octopus).toMatchObject({
      provider: 'OCTOPUS',
      providerKeyId: expect.stringMatching(/^apikeys-/),
      description: null,
      createdAt: '2026-01-31T00:00:00.000Z',
      expiresAt: '2099-01-01T00:00:00.000Z',
      keyHint: 'API-ADMI',
      purpose: 'Admin CLI',
      userId: 'Users-1',
    });
    const hyperstack = page.nodes.find((k) => k.name === 'training')!;
    expect(hyperstack).toMatchObject({
      provider: 'HYPERSTACK',
      providerKeyId: expect.stringMatching(/^\d+$/),
      description: 'Fine-tuning VMs',
      createdAt: '2026-01-26T00:00:00.000Z',
      expiresAt: null,
      keyHint: expect.stringMatching(/^[0-9a-f]{4}$/),
    });
    expect(hyperstack).not.toHaveProperty('purpose');
  });

  it('filters by provider, by Octopus user and by case-insensitive search over name and description', async () => {
    const octopusOnly = await list({ filter: { providers: ['OCTOPUS'] } });
    expect(octopusOnly.nodes.every((k) => k.provider === 'OCTOPUS')).toBe(true);
    expect(octopusOnly.totalCount).toBe(3);

    const dev = await list({ filter: { octopusUserId: 'Users-2', providers: ['OCTOPUS'] } });
    expect(dev.nodes.map((k) => k.name)).toEqual(['Dev laptop', 'dev key 1', 'dev key 0']);

    const search = await list({ filter: { search: 'FINE-tun' } });
    expect(search.nodes.map((k) => k.name)).toEqual(['training']); // matched on description
    expect((await list({ filter: { search: 'deploy' } })).nodes.map((k) => k.name)).toEqual(['Deploy pipeline']);
    expect((await list({ filter: { providers: [] } })).totalCount).toBe(0);
  });

  it('pages forward with first/after until the end', async () => {
    const all = await list();
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await list({ first: 4, after });
      seen.push(...page.nodes.map((k) => k.id));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.nodes.map((k) => k.id));
  });

  it('pages backward with last/before', async () => {
    const all = (await list()).nodes.map((k) => k.id);
    const tail = await list({ last: 2 });
    expect(tail.nodes.map((k) => k.id)).toEqual(all.slice(-2));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await list({ last: 3, before: tail.pageInfo.startCursor });
    expect(before.nodes.map((k) => k.id)).toEqual(all.slice(1, 4));
    expect(before.pageInfo.hasPreviousPage).toBe(true);
  });

  it('answers exactly one page when everything fits', async () => {
    const page = await list({ first: 6 });
    expect(page.nodes).toHaveLength(6);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('answers an empty connection when a user has no keys', async () => {
    const page = await list({ filter: { providers: ['OCTOPUS'], octopusUserId: 'Users-3' } });
    expect(page).toMatchObject({ totalCount: 0, nodes: [], edges: [] });
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('keeps a cursor valid after its own key is deleted', async () => {
    const created = await t.query<{ generateHyperstackApiKey: { apiKey: { id: string } } }>(
      'mutation { generateHyperstackApiKey(input: { name: "short-lived" }) { secret apiKey { id } } }',
    );
    const id = created.body.data!.generateHyperstackApiKey.apiKey.id;
    const first = await list({ first: 1 });
    expect(first.nodes[0]!.id).toBe(id); // newest
    await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id });
    const next = await list({ first: 2, after: first.pageInfo.endCursor });
    expect(next.nodes.map((k) => k.name)).toEqual(['Admin CLI', 'training']);
  });

  it('rejects a cursor it did not make, and negative page sizes, with BAD_USER_INPUT and no upstream call', async () => {
    t.resetCounts();
    for (const variables of [{ after: 'bm90IGEgY3Vyc29y' }, { before: '%%%' }, { first: -1 }, { last: -5 }]) {
      const response = await t.query(LIST, variables);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(t.counts()).toEqual({});
  });
});

describe('node, nodes and apiKey', () => {
  const NODE = /* GraphQL */ `
    query Node($id: ID!) {
      node(id: $id) { id ... on ApiKey { name provider } }
      apiKey(id: $id) { id name }
    }
  `;

  it('fetches a key of either provider by its global id', async () => {
    const all = await list();
    for (const key of all.nodes) {
      const response = await t.query<{ node: { id: string; name: string }; apiKey: { id: string } }>(NODE, { id: key.id });
      expect(response.body.data).toEqual({
        node: { id: key.id, name: key.name, provider: key.provider },
        apiKey: { id: key.id, name: key.name },
      });
    }
  });

  it('answers null for ids that are not base64, of the wrong type, or well-formed but unknown', async () => {
    const bad = [
      'not base64 at all!',
      encodeGlobalID('User', '1'),
      encodeGlobalID('HyperstackApiKey', 'abc'),
      encodeGlobalID('OctopusApiKey', 'apikeys-withoutuser'),
      encodeGlobalID('HyperstackApiKey', '999999'),
      encodeGlobalID('OctopusApiKey', 'Users-1/apikeys-doesnotexist'),
      encodeGlobalID('OctopusApiKey', 'Users-99/apikeys-doesnotexist'),
      'x'.repeat(10_000),
    ];
    for (const id of bad) {
      const response = await t.query(NODE, { id });
      expect(response.body).toEqual({ data: { node: null, apiKey: null } });
    }
  });

  it('fetches many ids in order, with null for unknown ones', async () => {
    const all = (await list()).nodes.map((k) => k.id);
    const ids = [all[3], 'garbage', all[0], encodeGlobalID('HyperstackApiKey', '424242'), all[5]];
    const response = await t.query<{ nodes: ({ id: string } | null)[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    expect(response.body.data!.nodes).toEqual([{ id: all[3] }, null, { id: all[0] }, null, { id: all[5] }]);
  });

  it('resolves ids issued before accounts existed to the default account, and never an unknown account to another key', async () => {
    const all = await list();
    for (const key of all.nodes) {
      const [typename, ref] = Buffer.from(key.id, 'base64').toString().split(/:(.*)/s) as [string, string];
      expect(ref.startsWith('default/')).toBe(true);
      const legacy = encodeGlobalID(typename, ref.slice('default/'.length));
      const elsewhere = encodeGlobalID(typename, `staging/${ref.slice('default/'.length)}`);
      const response = await t.query<{ legacy: { id: string } | null; elsewhere: { id: string } | null }>(
        'query($legacy: ID!, $elsewhere: ID!) { legacy: apiKey(id: $legacy) { id } elsewhere: apiKey(id: $elsewhere) { id } }',
        { legacy, elsewhere },
      );
      expect(response.body.data).toEqual({ legacy: { id: key.id }, elsewhere: null });
    }
    const mutation = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', {
      id: encodeGlobalID('HyperstackApiKey', 'staging/59'),
    });
    expect(mutation.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('"default"'), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('refuses more than 100 ids', async () => {
    const response = await t.query('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array(101).fill('x') });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('counts ids across aliases and fragments, and refuses more than 100 before any upstream call', async () => {
    // Forged ids of 100 distinct users: each would cost one GET.
    const forged = Array.from({ length: 100 }, (_, i) => encodeGlobalID('OctopusApiKey', `default/Users-${1000 + i}/apikeys-Forged${i}`));
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: nodes(ids: $ids) { id }`).join(' ');
    t.resetCounts();
    const fifteen = await t.query(`query($ids: [ID!]!) { ${aliases} }`, { ids: forged });
    expect(fifteen.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/looks up 1500 keys/), extensions: { code: 'BAD_USER_INPUT' } });
    const viaFragments = await t.query(
      'query($ids: [ID!]!) { ...A ...B } fragment A on Query { nodes(ids: $ids) { id } } fragment B on Query { x: nodes(ids: $ids) { id } y: node(id: "z") { id } }',
      { ids: forged.slice(0, 50) },
    );
    expect(viaFragments.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // Ids in variables' default values, with no variables sent (found by an outside review).
    const list = `[${forged.slice(0, 50).map((id) => JSON.stringify(id)).join(', ')}]`;
    const defaulted = await t.query(
      `query(${[0, 1, 2].map((i) => `$v${i}: [ID!] = ${list}`).join(', ')}) { ${[0, 1, 2].map((i) => `a${i}: nodes(ids: $v${i}) { id }`).join(' ')} }`,
    );
    expect(defaulted.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/looks up 150 keys/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(t.counts()).toEqual({});
    // 100 in all is allowed, and costs at most one call per distinct user.
    const hundred = await t.query('query($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } }', {
      a: forged.slice(0, 50),
      b: forged.slice(50),
    });
    expect(hundred.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 100 });
  });
});

describe('viewer', () => {
  const VIEWER = 'query { viewer { providers { provider configured hasCredential } octopusUser { id username displayName } } }';

  it('says which providers this request can act at, and as which Octopus user', async () => {
    const response = await t.query(VIEWER);
    expect(response.body).toEqual({
      data: {
        viewer: {
          providers: [
            { provider: 'OCTOPUS', configured: true, hasCredential: true },
            { provider: 'HYPERSTACK', configured: true, hasCredential: true },
          ],
          octopusUser: { id: 'Users-1', username: 'admin', displayName: 'Admin' },
        },
      },
    });
  });

  it('follows a forwarded credential, and reports a refused one as an error beside the rest', async () => {
    const dev = await t.query<{ viewer: { octopusUser: { id: string } } }>(VIEWER, undefined, { 'X-Octopus-ApiKey': OCTOPUS_DEV_SECRET });
    expect(dev.body.data!.viewer.octopusUser.id).toBe('Users-2');
    const refused = await t.query<{ viewer: { octopusUser: null } }>(VIEWER, undefined, { 'X-Octopus-ApiKey': 'API-NOPE' });
    expect(refused.body.data!.viewer.octopusUser).toBeNull();
    expect(refused.body.errors?.[0]).toMatchObject({ path: ['viewer', 'octopusUser'], extensions: { code: 'UNAUTHENTICATED', provider: 'OCTOPUS' } });
  });

  it('without a credential: hasCredential false and no Octopus user, without calling Octopus', async () => {
    await using bare = await startTestGateway({ credentials: { octopus: false } });
    const response = await bare.query<{ viewer: { providers: { hasCredential: boolean }[]; octopusUser: null } }>(VIEWER);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.viewer.providers.map((p) => p.hasCredential)).toEqual([false, true]);
    expect(response.body.data!.viewer.octopusUser).toBeNull();
    expect(bare.octopus.requests()).toBe(0);
  });
});
