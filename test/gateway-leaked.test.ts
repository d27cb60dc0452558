// A leaked secret revoked through the gateway, on SQLite and PostgreSQL: exactly that key, or none;
// the secret in no log line, event or database row; limited like a create.
import { request } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/store/index.js';
import { startOctopusSimulator } from '../src/simulators/index.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './support/gateway.js';
import { OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';
import { backends, dumpAllTables } from './support/stores.js';

const REVOKE = /* GraphQL */ `
  mutation Leak($secret: String!) {
    revokeLeakedSecret(input: { secret: $secret }) {
      provider
      account { name }
      revokedKey { id name keyHint }
    }
  }
`;

interface Revoked {
  revokeLeakedSecret: { provider: string; account: { name: string }; revokedKey: { id: string; name: string; keyHint: string } } | null;
}

describe.each(backends())('revokeLeakedSecret on $name', (backend) => {
  backend.setup();

  async function gateway(options: TestGatewayOptions = {}) {
    const store = await openStore({ url: await backend.freshUrl() });
    onTestFinished(() => store.close());
    const t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() }, store, captureLogs: true, ...options });
    onTestFinished(() => t.close());
    return { t, store };
  }

  it.skipIf(backend.missing)('revokes keygate\'s own credential when it leaks, and says beside the answer that keygate is locked out', async () => {
    const { t } = await gateway();
    const own = t.hyperstack.credentials[0]!;
    const revoked = await t.query<Revoked>(REVOKE, { secret: own });
    expect(revoked.body.data!.revokeLeakedSecret).toMatchObject({ provider: 'HYPERSTACK', account: { name: 'default' }, revokedKey: { keyHint: own.slice(-4) } });
    expect(revoked.body.errors).toEqual([
      expect.objectContaining({
        path: ['revokeLeakedSecret'],
        message: 'This was keygate\'s own credential for Hyperstack account "default": it is revoked, and keygate cannot reach that account until its configuration gets a new key.',
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED', provider: 'HYPERSTACK', account: 'default' }),
      }),
    ]);
    await t.gateway.store!.trail.settle();
    const events = await t.query<{ auditEvents: { nodes: { outcome: string; detail: string | null }[] } }>('{ auditEvents(filter: { operation: "revokeLeakedSecret" }) { nodes { outcome detail } } }');
    expect(events.body.data!.auditEvents.nodes).toEqual([{ outcome: 'OK', detail: 'this was keygate\'s own credential for account "default"' }]);
  });

  it.skipIf(backend.missing)('revokes a leaked Octopus key and a leaked Hyperstack key, and keeps only their hints', async () => {
    const { t, store } = await gateway();
    // Keys whose secrets then "leak": one made by another user (dev), one at Hyperstack.
    const octopusLeak = t.octopus.addKey('Users-2', { purpose: 'pasted into a gist', expires: new Date(Date.now() + 86_400_000) });
    const hyperstack = await t.query<{ generateHyperstackApiKey: { secret: string } }>('mutation { generateHyperstackApiKey(input: { name: "in-a-repo" }) { secret } }');
    const hyperstackLeak = hyperstack.body.data!.generateHyperstackApiKey.secret;

    const octopus = await t.query<Revoked>(REVOKE, { secret: octopusLeak.secret });
    expect(octopus.body.errors).toBeUndefined();
    expect(octopus.body.data!.revokeLeakedSecret).toMatchObject({ provider: 'OCTOPUS', account: { name: 'default' }, revokedKey: { name: 'pasted into a gist', keyHint: octopusLeak.secret.slice(0, 8) } });
    expect(t.octopus.keysOf('Users-2').map((k) => k.id)).not.toContain(octopusLeak.id);

    const revoked = await t.query<Revoked>(REVOKE, { secret: hyperstackLeak });
    expect(revoked.body.data!.revokeLeakedSecret).toMatchObject({ provider: 'HYPERSTACK', revokedKey: { name: 'in-a-repo', keyHint: hyperstackLeak.slice(-4) } });
    const names = (await t.query<{ apiKeys: { nodes: { name: string }[] } }>('{ apiKeys(first: 100) { nodes { name } } }')).body.data!.apiKeys.nodes.map((k) => k.name);
    expect(names).not.toContain('in-a-repo');

    await t.gateway.store!.trail.settle();
    const events = await t.query<{ auditEvents: { nodes: { operation: string; provider: string; keyHint: string; outcome: string }[] } }>(
      '{ auditEvents(filter: { operation: "revokeLeakedSecret" }) { nodes { operation provider keyHint outcome } } }',
    );
    expect(events.body.data!.auditEvents.nodes).toEqual([
      { operation: 'revokeLeakedSecret', provider: 'HYPERSTACK', keyHint: hyperstackLeak.slice(-4), outcome: 'OK' },
      { operation: 'revokeLeakedSecret', provider: 'OCTOPUS', keyHint: octopusLeak.secret.slice(0, 8), outcome: 'OK' },
    ]);
    const everything = [JSON.stringify(await dumpAllTables(store)), t.logs().join('\n'), await (await t.gateway.yoga.fetch('http://keygate.test/metrics')).text()].join('\n');
    for (const secret of [octopusLeak.secret, hyperstackLeak]) expect(everything).not.toContain(secret);
  });

  it.skipIf(backend.missing)('refuses, changing nothing, when no key or more than one key matches', async () => {
    const { t } = await gateway({
      hyperstack: {
        users: [
          {
            name: 'alice',
            keys: [
              { name: 'gateway', createdAt: '2026-01-01T00:00:00Z' },
              { name: 'twin-a', createdAt: '2026-01-02T00:00:00Z', secret: '11111111-1111-4111-8111-11111111abcd' },
              { name: 'twin-b', createdAt: '2026-01-03T00:00:00Z', secret: '22222222-2222-4222-8222-22222222abcd' },
            ],
          },
        ],
      },
    });
    t.resetCounts();
    // twin-a's secret, live, with the same last four characters as twin-b: ambiguous.
    const ambiguous = await t.query(REVOKE, { secret: '11111111-1111-4111-8111-11111111abcd' });
    expect(ambiguous.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/2 Hyperstack keys match/), extensions: { code: 'CONFLICT' } });
    // A UUID that is no live key matches nothing, whatever its last four characters (a request id
    // fed in by a scanner must not revoke the key that happens to end like it).
    const unknown = await t.query(REVOKE, { secret: '44444444-4444-4444-8444-444444440000' });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const lookalike = await t.query(REVOKE, { secret: '33333333-3333-4333-8333-33333333abcd' });
    expect(lookalike.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const unknownOctopus = await t.query(REVOKE, { secret: `API-${'Z'.repeat(26)}` });
    expect(unknownOctopus.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(Object.keys(t.counts()).some((route) => route.startsWith('DELETE'))).toBe(false);
    // Not a key's shape at all: refused before any call.
    t.resetCounts();
    const nonsense = await t.query(REVOKE, { secret: 'password123' });
    expect(nonsense.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.counts()).toEqual({});
  });

  it.skipIf(backend.missing)('two accounts on one Octopus server: the leaked key is found once, and revoked', async () => {
    const { t } = await gateway({
      // A second account at the same server, with another user's credential.
      accounts: ({ octopus }) => [{ name: 'ci', provider: 'OCTOPUS', baseUrl: `${octopus.url}/api`, apiKey: octopus.credentials['Users-2'] }],
    });
    const leak = t.octopus.addKey('Users-2', { purpose: 'pasted into a gist', expires: new Date(Date.now() + 86_400_000) });
    t.resetCounts();
    const revoked = await t.query<Revoked>(REVOKE, { secret: leak.secret });
    expect(revoked.body.errors).toBeUndefined();
    // Found in the account whose own credential sees it (Users-2's), and revoked with that credential.
    expect(revoked.body.data!.revokeLeakedSecret).toMatchObject({ provider: 'OCTOPUS', account: { name: 'ci' }, revokedKey: { name: 'pasted into a gist' } });
    expect(t.octopus.keysOf('Users-2').map((k) => k.id)).not.toContain(leak.id);
    expect(t.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBe(1);
  });

  it.skipIf(backend.missing)('two accounts on one Hyperstack server: the leaked key is named in the account it belongs to', async () => {
    const { t } = await gateway({
      env: { LIST_CACHE_TTL_MS: '600000' },
      accounts: ({ hyperstack }) => [{ name: 'bob', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[1] }],
    });
    // bob's list is cached, then bob makes a key at Hyperstack itself: the owner is found in a list read now.
    expect((await t.query('{ apiKeys(first: 5, filter: { accounts: ["bob"] }) { totalCount } }')).body.errors).toBeUndefined();
    const response = await request(`${t.hyperstack.url}/api-key/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', api_key: t.hyperstack.credentials[1]! },
      body: JSON.stringify({ name: 'bob-leak', description: '' }),
    });
    const made = ((await response.body.json()) as { api_key: { id: number; key: string } }).api_key;
    t.resetCounts();
    const revoked = await t.query<Revoked>(REVOKE, { secret: made.key });
    expect(revoked.body.errors).toBeUndefined();
    expect(revoked.body.data!.revokeLeakedSecret).toMatchObject({ provider: 'HYPERSTACK', account: { name: 'bob' }, revokedKey: { name: 'bob-leak' } });
    expect(t.counts()['DELETE /v1/api-key/{api_key_id}']).toBe(1); // with bob's credential, at once
  });

  it.skipIf(backend.missing)('counts against the create rate limit, so it cannot test guessed secrets for free', async () => {
    const { t } = await gateway({ env: { CREATE_RATE_LIMIT: '2' } });
    for (let i = 0; i < 2; i++) await t.query(REVOKE, { secret: `API-${String(i).padStart(26, 'Q')}` });
    const third = await t.query(REVOKE, { secret: `API-${'R'.repeat(26)}` });
    expect(third.status).toBe(429);
    expect(third.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('one Octopus server configured under two names (an address and a DNS name)', () => {
  /** `ops` reaches the `default` account's server as localhost; Users-2's own credential. */
  async function twoNames() {
    const t = await startTestGateway({
      octopus: { users: octopusUsers() },
      hyperstack: { users: hyperstackUsers() },
      env: { LIST_CACHE_TTL_MS: '600000' },
      accounts: ({ octopus }) => [{ name: 'ops', provider: 'OCTOPUS', baseUrl: `${octopus.url.replace('127.0.0.1', 'localhost')}/api`, apiKey: OCTOPUS_DEV_SECRET }],
    });
    onTestFinished(() => t.close());
    return t;
  }

  it('a leaked secret finds its key once, and revokes it', async () => {
    const t = await twoNames();
    const response = await t.query<{ revokeLeakedSecret: { revokedKey: { name: string } } }>('mutation($s: String!) { revokeLeakedSecret(input: { secret: $s }) { revokedKey { name } } }', { s: OCTOPUS_DEV_SECRET });
    // It is `ops`'s own credential: the answer says keygate is locked out of that account now.
    expect(response.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED', account: 'ops' }) })]);
    expect(response.body.data!.revokeLeakedSecret.revokedKey.name).toBe('Dev laptop');
    expect(t.octopus.keysOf('Users-2').map((k) => k.purpose)).not.toContain('Dev laptop');
  });

  it("a revocation through one name leaves the other name's cached list", async () => {
    const t = await twoNames();
    const opsNames = async () =>
      (await t.query<{ apiKeys: { nodes: { name: string }[] } }>('{ apiKeys(first: 100, filter: { accounts: ["ops"] }) { nodes { name } } }')).body.data!.apiKeys.nodes.map((k) => k.name);
    expect(await opsNames()).toContain('dev key 0'); // cached now
    const key = t.octopus.keysOf('Users-2').find((k) => k.purpose === 'dev key 0')!;
    const id = Buffer.from(`OctopusApiKey:default/Users-2/${key.id}`).toString('base64');
    expect((await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id })).body.errors).toBeUndefined();
    expect(await opsNames()).not.toContain('dev key 0');
  });
});

describe('accounts: only the servers of the named accounts see the leaked secret', () => {
  /** `partner` is a second Octopus server (another organisation's), with a credential of its own; `bob` is at Hyperstack. */
  async function twoServers() {
    const partner = await startOctopusSimulator({ users: octopusUsers() });
    onTestFinished(() => partner.close());
    const t = await startTestGateway({
      octopus: { users: octopusUsers() },
      hyperstack: { users: hyperstackUsers() },
      accounts: ({ hyperstack }) => [
        { name: 'partner', provider: 'OCTOPUS', baseUrl: `${partner.url}/api`, apiKey: Object.values(partner.credentials)[0]! },
        { name: 'bob', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[1] },
      ],
    });
    onTestFinished(() => t.close());
    return { t, partner };
  }
  const revokeIn = (t: TestGateway, secret: string, accounts?: string[]) =>
    t.query<Revoked>('mutation($s: String!, $a: [String!]) { revokeLeakedSecret(input: { secret: $s, accounts: $a }) { account { name } revokedKey { name } } }', { s: secret, a: accounts });

  it('with accounts, the other server receives nothing; without, every server is asked', async () => {
    const { t, partner } = await twoServers();
    const first = t.octopus.addKey('Users-2', { purpose: 'pasted into a gist' });
    partner.resetCounts();
    const revoked = await revokeIn(t, first.secret, ['default']);
    expect(revoked.body.errors).toBeUndefined();
    expect(revoked.body.data!.revokeLeakedSecret).toMatchObject({ account: { name: 'default' }, revokedKey: { name: 'pasted into a gist' } });
    expect(partner.counts()).toEqual(Object.fromEntries(Object.keys(partner.counts()).map((route) => [route, 0])));

    // Without accounts, the partner's server is asked whose the secret is (and says: not mine).
    const second = t.octopus.addKey('Users-2', { purpose: 'pasted into a wiki' });
    const everywhere = await revokeIn(t, second.secret);
    expect(everywhere.body.data!.revokeLeakedSecret).toMatchObject({ account: { name: 'default' } });
    expect(partner.counts()['GET /api/users/me']).toBe(1);
  });

  it('an unknown account, or an account of the other provider, is BAD_USER_INPUT before any call', async () => {
    const { t, partner } = await twoServers();
    const leak = t.octopus.addKey('Users-2', { purpose: 'still live' });
    t.resetCounts();
    partner.resetCounts();
    const unknown = await revokeIn(t, leak.secret, ['default', 'nobody']);
    expect(unknown.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^No account named "nobody"/), extensions: { code: 'BAD_USER_INPUT', field: 'input.accounts' } });
    const wrong = await revokeIn(t, leak.secret, ['bob']);
    expect(wrong.body.errors?.[0]).toMatchObject({ message: `This secret belongs at Octopus Deploy, and these are not Octopus Deploy accounts: "bob". Nothing was revoked.`, extensions: { code: 'BAD_USER_INPUT' } });
    const empty = await revokeIn(t, leak.secret, []);
    expect(empty.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.counts()).toEqual({});
    expect(Object.values(partner.counts()).every((n) => n === 0)).toBe(true);
    expect(t.octopus.keysOf('Users-2').map((k) => k.id)).toContain(leak.id);
  });
});
