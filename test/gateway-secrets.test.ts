// Never lose a secret: a key that exists at a provider while its secret reached no one is the worst
// bug keygate can have. And never let keygate lock itself out by revoking its own key.
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { fakeClock } from './support/clock.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { answer, startRawProvider } from './support/raw-provider.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';

async function gateway() {
  const t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() } });
  onTestFinished(() => t.close());
  return t;
}

interface Created {
  secret: string;
  apiKey: { id: string; name: string };
}

describe('several creates in one operation', () => {
  it('delivers every secret that was minted when a sibling fails, in either order', async () => {
    const t = await gateway();
    // "training" is taken at Hyperstack: 409.
    for (const mutation of [
      'mutation { a: createOctopusApiKey(input: { purpose: "first ok" }) { secret apiKey { id name } } b: generateHyperstackApiKey(input: { name: "training" }) { secret } }',
      'mutation { b: generateHyperstackApiKey(input: { name: "training" }) { secret } a: createOctopusApiKey(input: { purpose: "second ok" }) { secret apiKey { id name } } }',
    ]) {
      const response = await t.query<{ a: Created | null; b: Created | null }>(mutation);
      expect(response.body.data!.b).toBeNull();
      expect(response.body.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: expect.objectContaining({ code: 'CONFLICT' }) })]);
      const created = response.body.data!.a!;
      expect(created.secret).toMatch(/^API-[A-Z0-9]+$/);
      // The secret delivered is the key that exists.
      expect(t.octopus.keysOf('Users-1').map((k) => k.id)).toContain(Buffer.from(created.apiKey.id, 'base64').toString().split('/').pop());
    }
  });

  it('runs mutation fields one after another, as graphql-js does: the second starts only when the first is answered', async () => {
    const t = await gateway();
    const held = t.octopus.hold('POST /api/users/{userId}/apikeys');
    const pending = t.query<{ a: Created; b: Created }>(
      'mutation { a: createOctopusApiKey(input: { purpose: "serial one" }) { secret } b: generateHyperstackApiKey(input: { name: "serial-two" }) { secret } }',
    );
    await held.arrived;
    expect(t.hyperstack.requests('POST /v1/api-key/generate')).toBe(0);
    held.release();
    const response = await pending;
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.a.secret).toBeTruthy();
    expect(response.body.data!.b.secret).toBeTruthy();
    expect(t.hyperstack.requests('POST /v1/api-key/generate')).toBe(1);
  });

  it('goes on after a failed field, as graphql-js does with nullable fields', async () => {
    const t = await gateway();
    const response = await t.query<{ a: Created | null; b: Created | null; c: Created | null }>(
      'mutation { a: generateHyperstackApiKey(input: { name: "training" }) { secret } b: generateHyperstackApiKey(input: { name: "after-a-failure" }) { secret } c: createOctopusApiKey(input: { purpose: "and another" }) { secret } }',
    );
    expect(response.body.data!.a).toBeNull();
    expect(response.body.data!.b!.secret).toBeTruthy();
    expect(response.body.data!.c!.secret).toBeTruthy();
  });
});

describe('the key keygate itself uses', () => {
  const USED = '{ apiKeys(first: 100) { nodes { id name provider usedByGateway } } }';

  it('is marked usedByGateway, at each provider, and no other key is', async () => {
    const t = await gateway();
    const response = await t.query<{ apiKeys: { nodes: { name: string; provider: string; usedByGateway: boolean }[] } }>(USED);
    const used = response.body.data!.apiKeys.nodes.filter((k) => k.usedByGateway).map((k) => `${k.provider}:${k.name}`);
    // The admin's credential is "Admin CLI"; Hyperstack's credential[0] is alice's first key, "gateway".
    expect(used.sort()).toEqual(['HYPERSTACK:gateway', 'OCTOPUS:Admin CLI']);
  });

  it('is not marked for a request that forwards its own credential (that is not keygate\'s key)', async () => {
    const t = await gateway();
    const response = await t.query<{ apiKeys: { nodes: { name: string; usedByGateway: boolean }[] } }>(
      '{ apiKeys(first: 100, filter: { providers: [OCTOPUS] }) { nodes { name usedByGateway } } }',
      undefined,
      { 'X-Octopus-ApiKey': t.octopus.credentials['Users-2']! },
    );
    expect(response.body.data!.apiKeys.nodes.every((k) => !k.usedByGateway)).toBe(true);
  });

  it('deleteApiKey refuses it with FORBIDDEN and an explanation, calling no DELETE, unless confirmed', async () => {
    const t = await gateway();
    const keys = (await t.query<{ apiKeys: { nodes: { id: string; provider: string; usedByGateway: boolean }[] } }>(USED)).body.data!.apiKeys.nodes;
    for (const key of keys.filter((k) => k.usedByGateway)) {
      t.resetCounts();
      const refused = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: key.id });
      expect(refused.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/keygate itself uses.*confirmRevokeGatewayCredential/),
        extensions: { code: 'FORBIDDEN', provider: key.provider, reason: 'GATEWAY_CREDENTIAL', account: 'default' },
      });
      expect(Object.keys(t.counts()).some((route) => route.startsWith('DELETE'))).toBe(false);
    }
    // Confirmed: revoked (Hyperstack here; keygate is then locked out of it, as asked).
    const hyperstack = keys.find((k) => k.usedByGateway && k.provider === 'HYPERSTACK')!;
    const confirmed = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id, confirmRevokeGatewayCredential: true }) { deletedId } }', {
      id: hyperstack.id,
    });
    expect(confirmed.body.errors).toBeUndefined();
    const after = await t.query('{ apiKeys { totalCount } }');
    expect(after.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', provider: 'HYPERSTACK' });
  });

  it('other keys of the gateway\'s own user are revoked as before, with one read to tell them apart', async () => {
    const t = await gateway();
    const keys = (await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(USED)).body.data!.apiKeys.nodes;
    t.resetCounts();
    const other = keys.find((k) => k.name === 'Deploy pipeline')!;
    const deleted = await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: other.id });
    expect(deleted.body.errors).toBeUndefined();
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 1, 'DELETE /api/users/{userId}/apikeys/{id}': 1 });
  });
});

describe('a new key and the check whether it is keygate\'s own', () => {
  it('keeps its secret when the check cannot be made: a key made now is never keygate\'s', async () => {
    // The new secret starts as keygate's own does (the first 8 characters, all Octopus shows of a
    // key), which would send usedByGateway to /users/me; that fails here.
    const configured = 'API-COLLIDEAAAAAAAAAAAAAAAAAAAA';
    const fresh = 'API-COLLIDEBBBBBBBBBBBBBBBBBBBB';
    const octopus = await startRawProvider(({ method, url, res }) => {
      if (method === 'POST' && url.endsWith('/users/Users-1/apikeys')) {
        return answer(res, 201, { Id: 'apikeys-9', UserId: 'Users-1', Purpose: 'ci', ApiKey: fresh, Created: '2026-11-30T10:00:00.000+00:00', Expires: null });
      }
      answer(res, 403, { ErrorMessage: 'no' });
    });
    onTestFinished(() => octopus.close());
    await using t = await startTestGateway({ accounts: [{ name: 'raw', provider: 'OCTOPUS', baseUrl: octopus.url, apiKey: configured }] });
    const response = await t.query<{ createOctopusApiKey: { secret: string; apiKey: { keyHint: string; usedByGateway: boolean } } | null }>(
      'mutation { createOctopusApiKey(input: { account: "raw", userId: "Users-1", purpose: "ci" }) { secret apiKey { keyHint usedByGateway } } }',
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.createOctopusApiKey).toEqual({ secret: fresh, apiKey: { keyHint: 'API-COLL', usedByGateway: false } });
    expect(octopus.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /users/Users-1/apikeys']);
  });
});

describe('a create whose outcome is unknown', () => {
  const CREATE = 'mutation { createOctopusApiKey(input: { purpose: "maybe made" }) { secret } }';
  const GENERATE = 'mutation { generateHyperstackApiKey(input: { name: "maybe-made" }) { secret } }';

  it.each([
    ['a dropped connection after the request was sent', { mode: 'drop' as const }],
    ['a 500', { mode: 'error' as const }],
    ['a 2xx whose body is not the documented JSON', { mode: 'garbage' as const }],
  ])('%s says the key may have been created, and to check apiKeys for its name', async (_what, fault) => {
    const t = await gateway();
    t.octopus.fault('POST /api/users/{userId}/apikeys', fault);
    t.hyperstack.fault('POST /v1/api-key/generate', fault);
    for (const [mutation, name] of [
      [CREATE, 'maybe made'],
      [GENERATE, 'maybe-made'],
    ] as const) {
      const response = await t.query(mutation);
      expect(response.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining(`look for "${name}" in apiKeys`),
        extensions: expect.objectContaining({ mayHaveCreated: true }),
      });
    }
  });

  it('a timeout after the provider had the request says so too', async () => {
    const t = await startTestGateway({ octopus: { users: octopusUsers() }, upstream: { timeoutMs: 10_000 } });
    onTestFinished(() => t.close());
    const held = t.octopus.hold('POST /api/users/{userId}/apikeys');
    onTestFinished(() => held.release());
    // The clock moves only once the create is held at the provider: a real 200 ms timeout could also
    // cut the /users/me read before it, on a busy machine, and that read never made anything.
    fakeClock();
    const pending = t.query(CREATE);
    await held.arrived;
    vi.advanceTimersByTime(10_000);
    const response = await pending;
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', mayHaveCreated: true });
  });

  it('a refusal (4xx) or a provider never reached does not', async () => {
    const t = await gateway();
    const conflict = await t.query('mutation { generateHyperstackApiKey(input: { name: "training" }) { secret } }');
    expect(conflict.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT' });
    expect(conflict.body.errors?.[0]?.extensions).not.toHaveProperty('mayHaveCreated');
    await t.octopus.close();
    const unreachable = await t.query(CREATE);
    expect(unreachable.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(unreachable.body.errors?.[0]?.extensions).not.toHaveProperty('mayHaveCreated');
  });
});

describe('a create answered with its secret but an id of another shape', () => {
  // The key is made for real; only the answer's id is unreadable (a number where a string is due).
  const CREATE = 'mutation { createOctopusApiKey(input: { purpose: "odd id" }) { secret apiKey { id name } } }';
  const GENERATE = 'mutation { generateHyperstackApiKey(input: { name: "odd-id" }) { secret apiKey { id name } } }';
  const oddId = (t: TestGateway) => {
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'reshape', body: (b) => ({ ...(b as object), Id: 12345 }) }, { times: 1 });
    t.hyperstack.fault('POST /v1/api-key/generate', { mode: 'reshape', body: (b) => ({ ...(b as object), api_key: { ...(b as { api_key: object }).api_key, id: 'twelve' } }) }, { times: 1 });
  };

  it('is answered with its secret and the id the list shows: one more call, counted by the budget', async () => {
    const t = await gateway();
    oddId(t);
    t.resetCounts();
    const octopus = await t.query<{ createOctopusApiKey: Created }>(CREATE);
    expect(octopus.body.errors).toBeUndefined();
    const made = t.octopus.keysOf('Users-1').find((k) => k.purpose === 'odd id')!;
    expect(octopus.body.data!.createOctopusApiKey).toEqual({ secret: expect.stringMatching(/^API-/), apiKey: { id: expect.any(String), name: 'odd id' } });
    expect(Buffer.from(octopus.body.data!.createOctopusApiKey.apiKey.id, 'base64').toString()).toBe(`OctopusApiKey:default/Users-1/${made.id}`);
    expect(octopus.body.data!.createOctopusApiKey.secret.slice(0, 8)).toBe(made.hint);
    expect(t.counts()).toMatchObject({ 'POST /api/users/{userId}/apikeys': 1, 'GET /api/users/{userId}/apikeys': 1 });

    const hyperstack = await t.query<{ generateHyperstackApiKey: Created }>(GENERATE);
    expect(hyperstack.body.errors).toBeUndefined();
    expect(hyperstack.body.data!.generateHyperstackApiKey).toMatchObject({ secret: expect.any(String), apiKey: { name: 'odd-id' } });
  });

  it('a budget with no room for the lookup refuses the create before it is sent', async () => {
    const t = await startTestGateway({ octopus: { users: octopusUsers() }, env: { MAX_UPSTREAM_CALLS: '2' } });
    onTestFinished(() => t.close());
    oddId(t);
    t.resetCounts();
    // /users/me is one call; the create and its possible lookup are two more.
    const response = await t.query(CREATE);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.counts()).not.toHaveProperty('POST /api/users/{userId}/apikeys');
  });
});

describe('a secret sent where it does not belong', () => {
  const OCTOPUS = 'API-ABCDEFGHIJKLMNOPQRSTUVWXYZ12';
  const HYPERSTACK = '3f1c9a52-7b4e-4d21-9c8a-0e5f6d7c8b9a';
  const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGllbnQtYSJ9.c2lnbmF0dXJlLWJ5dGVz';
  // GraphQL's own messages echo the value a client sent; each of these would carry it back.
  const cases: [string, string, Record<string, unknown> | undefined, string][] = [
    ['a variable with a field the input lacks', 'mutation($v: RevokeLeakedSecretInput!) { revokeLeakedSecret(input: $v) { provider } }', { v: { secret: OCTOPUS, x: 1 } }, 'BAD_USER_INPUT'],
    ['a variable of the wrong type', 'query($f: Int) { apiKeys(first: $f) { totalCount } }', { f: HYPERSTACK }, 'BAD_USER_INPUT'],
    ['a literal of the wrong type', `{ apiKeys(first: "${JWT}") { totalCount } }`, undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a literal for an enum', `{ apiKeys(orderBy: { field: "${OCTOPUS}", direction: ASC }) { totalCount } }`, undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a string where a field name goes', `{ "${HYPERSTACK}" }`, undefined, 'GRAPHQL_PARSE_FAILED'],
  ];

  it.each(cases)('is not echoed in the error for %s', async (_, query, variables, code) => {
    const t = await gateway();
    t.resetCounts();
    const response = await t.query(query, variables);
    expect(response.body.errors?.[0]?.extensions?.code).toBe(code);
    const body = JSON.stringify(response.body);
    for (const secret of [OCTOPUS, HYPERSTACK, JWT]) expect(body).not.toContain(secret);
    expect(body).toContain('[redacted]');
    expect(t.counts()).toEqual({});
  });
});
