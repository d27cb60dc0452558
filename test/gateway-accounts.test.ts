// Several accounts per provider: two Octopus servers and two Hyperstack credentials at once, the
// whole Octopus instance, a provider turned off, and the Hyperstack access token.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { startOctopusSimulator, type OctopusSimulator } from '../src/simulators/index.js';
import { firstCredential, startTestGateway, type TestGateway } from './support/gateway.js';
import { OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);

let staging: OctopusSimulator;
let t: TestGateway;

beforeAll(async () => {
  staging = await startOctopusSimulator({
    users: [
      { id: 'Users-1', username: 'ops', displayName: 'Ops', isAdmin: true, keys: [{ purpose: 'Staging admin', created: day(15), expires: day(900) }] },
      { id: 'Users-7', username: 'svc-deploy', displayName: 'Deploy bot', isService: true, keys: [{ purpose: 'Staging deployer', created: day(25), expires: day(900) }] },
      { id: 'Users-8', username: 'locked', displayName: 'Locked', keysForbidden: true, keys: [{ purpose: 'Unreadable', created: day(35), expires: day(900) }] },
    ],
  });
  t = await startTestGateway({
    octopus: { users: octopusUsers() },
    hyperstack: { users: hyperstackUsers() },
    accounts: ({ hyperstack }) => [
      { name: 'staging', provider: 'OCTOPUS', baseUrl: `${staging.url}/api`, apiKey: staging.credentials['Users-1'] },
      // Bob's credential at the same Hyperstack: his keys, not Alice's.
      { name: 'bob', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[1] },
    ],
  });
});
afterAll(async () => {
  await t.close();
  await staging.close();
});

interface Key {
  id: string;
  name: string;
  provider: string;
  createdAt: string;
  account: { name: string; provider: string; host: string };
  owner?: { id: string; username: string; isService: boolean | null } | null;
}
interface List {
  apiKeys: { totalCount: number; unavailableProviders: string[]; unavailableAccounts: { name: string }[]; nodes: Key[] };
}

const LIST = /* GraphQL */ `
  query List($filter: ApiKeyFilter) {
    apiKeys(first: 100, filter: $filter) {
      totalCount
      unavailableProviders
      unavailableAccounts { name }
      nodes { id name provider createdAt account { name provider host } ... on OctopusApiKey { owner { id username isService } } }
    }
  }
`;

async function list(filter: Record<string, unknown> = {}, gateway = t) {
  const response = await gateway.query<List>(LIST, { filter });
  return { data: response.body.data!.apiKeys, errors: response.body.errors };
}

describe('one list across accounts', () => {
  it('merges every account newest first, each key carrying its account', async () => {
    const { data, errors } = await list();
    expect(errors).toBeUndefined();
    const tag = (k: Key) => `${k.account.provider}/${k.account.name}:${k.name}`;
    expect(data.nodes.map(tag)).toEqual(
      expect.arrayContaining(['OCTOPUS/default:Admin CLI', 'OCTOPUS/staging:Staging admin', 'HYPERSTACK/default:training', 'HYPERSTACK/bob:bob-only']),
    );
    const created = data.nodes.map((k) => k.createdAt);
    expect(created).toEqual([...created].sort().reverse());
    expect(data.nodes.find((k) => k.account.name === 'staging')!.account.host).toBe(new URL(staging.url).host);
  });

  it('reads one list per account per request, all in flight together', async () => {
    await t.query('{ viewer { accounts { octopusUser { id } } } }'); // remember /users/me of both servers
    t.resetCounts();
    staging.resetCounts();
    const octopus = t.octopus.hold('GET /api/users/{userId}/apikeys');
    const other = staging.hold('GET /api/users/{userId}/apikeys');
    const hyperstack = t.hyperstack.hold('GET /v1/api-key');
    const pending = list();
    // Every account's list is held at once: none waited for another.
    await Promise.all([octopus.arrived, other.arrived, hyperstack.arrivals(2)]);
    for (const held of [octopus, other, hyperstack]) held.release();
    expect((await pending).errors).toBeUndefined();
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys': 1, 'GET /v1/api-key': 2 });
    expect(staging.counts()['GET /api/users/{userId}/apikeys']).toBe(1);
  });

  it('filter.accounts reads only the accounts named, and refuses an unknown name without calling anyone', async () => {
    t.resetCounts();
    staging.resetCounts();
    const { data } = await list({ accounts: ['staging'] });
    expect(new Set(data.nodes.map((k) => `${k.provider}/${k.account.name}`))).toEqual(new Set(['OCTOPUS/staging']));
    expect(t.counts()).toEqual({});
    const unknown = await t.query(LIST, { filter: { accounts: ['nope'] } });
    expect(unknown.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('"staging"'), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('resolves each id to its own account', async () => {
    const { data } = await list();
    for (const key of data.nodes) {
      const response = await t.query<{ apiKey: { id: string; name: string; account: { name: string } } }>(
        'query($id: ID!) { apiKey(id: $id) { id name account { name } } }',
        { id: key.id },
      );
      expect(response.body.data!.apiKey).toEqual({ id: key.id, name: key.name, account: { name: key.account.name } });
    }
  });

  it('one account down: the others are listed, and the error names the account', async () => {
    staging.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });
    onTestFinished(() => staging.clearFaults());
    const { data, errors } = await list();
    expect(data.nodes.some((k) => k.account.name === 'default' && k.provider === 'OCTOPUS')).toBe(true);
    expect(data.nodes.some((k) => k.account.name === 'staging')).toBe(false);
    expect(data.unavailableAccounts).toEqual([{ name: 'staging' }]);
    expect(data.unavailableProviders).toEqual(['OCTOPUS']);
    expect(errors).toEqual([
      expect.objectContaining({
        path: ['apiKeys'],
        message: expect.stringContaining('account "staging"'),
        extensions: expect.objectContaining({ code: 'UPSTREAM_ERROR', provider: 'OCTOPUS', account: 'staging' }),
      }),
    ]);
  });

  it('viewer.accounts lists every account, whether this request can reach it, and never a credential', async () => {
    const response = await t.query<{ viewer: { accounts: { account: { name: string; provider: string }; reachable: boolean }[] } }>(
      '{ viewer { accounts { account { name provider } reachable } } }',
    );
    expect(response.body.data!.viewer.accounts).toEqual([
      { account: { name: 'default', provider: 'OCTOPUS' }, reachable: true },
      { account: { name: 'default', provider: 'HYPERSTACK' }, reachable: true },
      { account: { name: 'staging', provider: 'OCTOPUS' }, reachable: true },
      { account: { name: 'bob', provider: 'HYPERSTACK' }, reachable: true },
    ]);
    const text = JSON.stringify(response.body);
    for (const account of t.config.accounts) expect(text).not.toContain(account.apiKey!);
  });
});

describe('mutations on a named account', () => {
  it('with several accounts and none named, fails with BAD_USER_INPUT listing the names, calling nobody', async () => {
    t.resetCounts();
    const response = await t.query('mutation { createOctopusApiKey(input: { purpose: "which?" }) { secret } }');
    expect(response.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/"default", "staging"/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(t.counts()).toEqual({});
  });

  it('creates, renames and revokes at the account named', async () => {
    const created = await t.query<{ createOctopusApiKey: { secret: string; apiKey: { id: string; account: { name: string } } } }>(
      'mutation { createOctopusApiKey(input: { account: "staging", purpose: "made at staging" }) { secret apiKey { id account { name } } } }',
    );
    expect(created.body.data!.createOctopusApiKey.apiKey.account.name).toBe('staging');
    expect(staging.keysOf('Users-1').map((k) => k.purpose)).toContain('made at staging');
    expect(t.octopus.keysOf('Users-1').map((k) => k.purpose)).not.toContain('made at staging');

    const generated = await t.query<{ generateHyperstackApiKey: { apiKey: { id: string; account: { name: string } } } }>(
      'mutation { generateHyperstackApiKey(input: { account: "bob", name: "bobs-new" }) { secret apiKey { id account { name } } } }',
    );
    const bobKey = generated.body.data!.generateHyperstackApiKey.apiKey;
    expect(bobKey.account.name).toBe('bob');
    const renamed = await t.query<{ updateHyperstackApiKey: { apiKey: { name: string } } }>(
      'mutation($id: ID!) { updateHyperstackApiKey(input: { id: $id, name: "bobs-renamed" }) { apiKey { name } } }',
      { id: bobKey.id },
    );
    expect(renamed.body.data!.updateHyperstackApiKey.apiKey.name).toBe('bobs-renamed');
    for (const id of [created.body.data!.createOctopusApiKey.apiKey.id, bobKey.id]) {
      const deleted = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id });
      expect(deleted.body.errors).toBeUndefined();
    }
    expect(staging.keysOf('Users-1').map((k) => k.purpose)).not.toContain('made at staging');
  });

  it('refuses an account that does not exist, naming the ones that do', async () => {
    const response = await t.query('mutation { generateHyperstackApiKey(input: { account: "carol", name: "x" }) { secret } }');
    expect(response.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/"default", "bob"/), extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('the whole Octopus instance', () => {
  it('octopusUsers: ALL lists every user and service account, with owners; a user whose keys are forbidden is an error naming them', async () => {
    staging.resetCounts();
    const { data, errors } = await list({ accounts: ['staging'], octopusUsers: 'ALL' });
    expect(data.nodes.map((k) => [k.name, k.owner])).toEqual([
      ['Staging deployer', { id: 'Users-7', username: 'svc-deploy', isService: true }],
      ['Staging admin', { id: 'Users-1', username: 'ops', isService: false }],
    ]);
    expect(errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('user Users-8'),
        extensions: expect.objectContaining({ code: 'FORBIDDEN', account: 'staging', octopusUserId: 'Users-8' }),
      }),
    ]);
    // The users list, then one list per user, no more (owners come from the users list).
    expect(staging.counts()).toMatchObject({ 'GET /api/users': 1, 'GET /api/users/{userId}/apikeys': 3 });
    expect(Object.values(staging.counts()).reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('walks each user once per request, whatever else the query asks', async () => {
    staging.resetCounts();
    const response = await t.query(
      `{ a: apiKeys(filter: { accounts: ["staging"], octopusUsers: ALL }) { totalCount summary { totalCount } }
         b: apiKeys(filter: { accounts: ["staging"], octopusUsers: ALL }, orderBy: { field: NAME, direction: ASC }) { nodes { name } } }`,
    );
    expect(response.body.data).toBeTruthy();
    expect(staging.counts()).toMatchObject({ 'GET /api/users': 1, 'GET /api/users/{userId}/apikeys': 3 });
  });

  it('counts the instance walk against the upstream-call budget before walking the keys', async () => {
    const small = await startTestGateway({
      env: { MAX_UPSTREAM_CALLS: '2' },
      accounts: [{ name: 'staging', provider: 'OCTOPUS', baseUrl: `${staging.url}/api`, apiKey: staging.credentials['Users-1'] }],
      noOctopus: true,
      noHyperstack: true,
    });
    onTestFinished(() => small.close());
    staging.resetCounts();
    const response = await small.query(LIST, { filter: { octopusUsers: 'ALL' } });
    expect(response.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/more than 2 upstream calls \(the key lists of 3 users/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(staging.counts()).toMatchObject({ 'GET /api/users': 1, 'GET /api/users/{userId}/apikeys': 0 });
  });
});

describe('the upstream-call budget and many accounts', () => {
  it('refuses a list of more accounts than the budget before calling any of them', async () => {
    const staging = await startOctopusSimulator({ users: octopusUsers() });
    onTestFinished(() => staging.close());
    const small = await startTestGateway({
      env: { MAX_UPSTREAM_CALLS: '2' },
      accounts: [{ name: 'staging', provider: 'OCTOPUS', baseUrl: `${staging.url}/api`, apiKey: staging.credentials['Users-1'] }],
    });
    onTestFinished(() => small.close());
    small.resetCounts();
    const response = await small.query('{ apiKeys(first: 5) { totalCount } }');
    expect(response.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/more than 2 upstream calls \(the key lists of 3 accounts\)/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(small.counts()).toEqual({});
    expect(staging.requests()).toBe(0);
  });
});

describe('a provider turned off', () => {
  it('is not called, not listed as unavailable, and its mutations say it is not configured', async () => {
    const octopusOnly = await startTestGateway({ noHyperstack: true });
    onTestFinished(() => octopusOnly.close());
    const { data, errors } = await list({}, octopusOnly);
    expect(errors).toBeUndefined();
    expect(data.unavailableProviders).toEqual([]);
    expect(new Set(data.nodes.map((k) => k.provider))).toEqual(new Set(['OCTOPUS']));
    expect(octopusOnly.hyperstack.requests()).toBe(0);
    const generate = await octopusOnly.query('mutation { generateHyperstackApiKey(input: { name: "x" }) { secret } }');
    expect(generate.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/not configured/), extensions: { provider: 'HYPERSTACK' } });
    const viewer = await octopusOnly.query<{ viewer: { providers: { provider: string; configured: boolean }[] } }>(
      '{ viewer { providers { provider configured } } }',
    );
    expect(viewer.body.data!.viewer.providers).toEqual([
      { provider: 'OCTOPUS', configured: true },
      { provider: 'HYPERSTACK', configured: false },
    ]);
  });
});

describe('the Hyperstack access token', () => {
  async function strict(credentials: { apiKey?: boolean; accessToken?: boolean }) {
    const g = await startTestGateway({
      noOctopus: true,
      noHyperstack: true,
      hyperstack: { users: hyperstackUsers(), strictSeedAuth: true },
      accounts: ({ hyperstack }) => [
        {
          name: 'default',
          provider: 'HYPERSTACK',
          baseUrl: hyperstack.url,
          apiKey: credentials.apiKey ? hyperstack.credentials[0] : undefined,
          accessToken: credentials.accessToken ? hyperstack.accessTokens[0] : undefined,
        },
      ],
    });
    onTestFinished(() => g.close());
    return g;
  }
  const GENERATE = 'mutation { generateHyperstackApiKey(input: { name: "with-a-token" }) { secret apiKey { name } } }';

  it('a server that follows the seed refuses generate with the API key alone', async () => {
    const g = await strict({ apiKey: true });
    const response = await g.query(GENERATE);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', provider: 'HYPERSTACK' });
  });

  it('generates with the access token, and lists, renames and revokes with the API key', async () => {
    const g = await strict({ apiKey: true, accessToken: true });
    const generated = await g.query<{ generateHyperstackApiKey: { secret: string } }>(GENERATE);
    expect(generated.body.errors).toBeUndefined();
    expect(generated.body.data!.generateHyperstackApiKey.secret).toBeTruthy();
    const { data } = await list({}, g);
    expect(data.nodes.map((k) => k.name)).toContain('with-a-token');
  });

  it('works with the access token alone, and a request may forward one in X-Hyperstack-Access-Token', async () => {
    const g = await strict({ accessToken: true });
    expect((await list({}, g)).errors).toBeUndefined();
    const bare = await strict({});
    const forwarded = await bare.query<{ generateHyperstackApiKey: { secret: string } }>(GENERATE, undefined, {
      'X-Hyperstack-Access-Token': `Bearer ${bare.hyperstack.accessTokens[0]}`,
    });
    expect(forwarded.body.errors).toBeUndefined();
    const none = await bare.query(GENERATE);
    expect(none.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('the default mode takes the API key for generate too', async () => {
    const g = await startTestGateway({ noOctopus: true });
    onTestFinished(() => g.close());
    expect((await g.query(GENERATE)).body.errors).toBeUndefined();
  });
});

describe('ids of accounts that are not configured', () => {
  it('answer null, never another account\'s key', async () => {
    const foreign = encodeGlobalID('OctopusApiKey', 'production/Users-1/apikeys-Whatever0000000000000000');
    const response = await t.query('query($id: ID!) { node(id: $id) { id } }', { id: foreign });
    expect(response.body).toEqual({ data: { node: null } });
  });
});

describe('two accounts with one server and one credential', () => {
  it('each key is listed once per account, under that account, with the list cache on', async () => {
    await using g = await startTestGateway({
      octopus: { users: octopusUsers() },
      hyperstack: { users: hyperstackUsers() },
      env: { LIST_CACHE_TTL_MS: '60000', UPSTREAM_DEDUPE: '1' },
      accounts: ({ octopus, hyperstack }) => [
        { name: 'mirror', provider: 'OCTOPUS', baseUrl: `${octopus.url}/api`, apiKey: firstCredential(octopus) },
        { name: 'mirror', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[0] },
      ],
    });
    const list = async (filter: string) =>
      (await g.query<{ apiKeys: { totalCount: number; nodes: { id: string; account: { name: string } }[] } }>(`{ apiKeys(first: 100${filter}) { totalCount nodes { id account { name } } } }`))
        .body.data!.apiKeys;
    const defaults = await list(', filter: { accounts: ["default"] }'); // fills the cache under "default"
    const mirrors = await list(', filter: { accounts: ["mirror"] }');
    expect(new Set(defaults.nodes.map((k) => k.account.name))).toEqual(new Set(['default']));
    expect(new Set(mirrors.nodes.map((k) => k.account.name))).toEqual(new Set(['mirror']));
    const all = await list('');
    expect(all.totalCount).toBe(defaults.totalCount + mirrors.totalCount);
    expect(new Set(all.nodes.map((k) => k.id)).size).toBe(all.nodes.length);
  });
});

describe('a KEYGATE_CONFIG account named "default"', () => {
  it('acts with its own credential: a request\'s X-Octopus-ApiKey never replaces it', async () => {
    await using octopus = await startOctopusSimulator({ users: octopusUsers() });
    const dir = mkdtempSync(join(tmpdir(), 'keygate-accounts-'));
    const file = join(dir, 'accounts.yaml');
    writeFileSync(file, `accounts:\n  - name: default\n    provider: octopus\n    url: ${octopus.url}\n    apiKeyFrom: { env: FILE_OCTOPUS_KEY }\n`);
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '0', KEYGATE_CONFIG: file, FILE_OCTOPUS_KEY: firstCredential(octopus) }),
    );
    onTestFinished(() => gateway.close());
    const viewer = async (headers: Record<string, string> = {}) => {
      const response = await gateway.yoga.fetch('http://keygate.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ viewer { octopusUser { id } } }' }),
      });
      return ((await response.json()) as { data: { viewer: { octopusUser: { id: string } } } }).data.viewer.octopusUser.id;
    };
    expect(await viewer()).toBe('Users-1');
    expect(await viewer({ 'x-octopus-apikey': OCTOPUS_DEV_SECRET })).toBe('Users-1'); // not Users-2, the header's
    expect(octopus.requests('GET /api/users/me')).toBe(1); // the file's credential, remembered: the header was never sent
  });
});
