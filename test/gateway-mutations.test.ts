import { describe, expect, it } from 'vitest';
import { startTestGateway, type GraphQLResponse } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';

/** Each test its own gateway and simulators: keys made or revoked by one test are gone for the next. */
const start = () => startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers(), keyQuota: 6 } });

interface Created {
  apiKey: { id: string; provider: string; name: string; description: string | null; keyHint: string; createdAt: string; expiresAt: string | null; userId?: string };
  secret: string;
}

const CREATE_OCTOPUS = /* GraphQL */ `
  mutation Create($input: CreateOctopusApiKeyInput!) {
    createOctopusApiKey(input: $input) {
      secret
      apiKey { id provider name description keyHint createdAt expiresAt ... on OctopusApiKey { userId } }
    }
  }
`;
const GENERATE = /* GraphQL */ `
  mutation Generate($input: GenerateHyperstackApiKeyInput!) {
    generateHyperstackApiKey(input: $input) { secret apiKey { id provider name description keyHint createdAt } }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($input: UpdateHyperstackApiKeyInput!) {
    updateHyperstackApiKey(input: $input) { apiKey { id name description keyHint } }
  }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId provider } }
`;
const EVERYTHING = /* GraphQL */ `
  query Everything {
    apiKeys(first: 500) { nodes { id name description keyHint ... on OctopusApiKey { purpose userId lastUsedAt } } }
  }
`;

function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}
const code = (response: GraphQLResponse) => response.body.errors?.[0]?.extensions?.code;
const days = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);

describe('createOctopusApiKey', () => {
  it('creates a key for the current user and returns the secret once; later reads show only the hint', async () => {
    await using t = await start();
    const { createOctopusApiKey } = ok(await t.query<{ createOctopusApiKey: Created }>(CREATE_OCTOPUS, { input: { purpose: '  CI runner  ' } }));
    const { secret, apiKey } = createOctopusApiKey;
    expect(secret).toMatch(/^API-[A-Z0-9]{26}$/);
    expect(apiKey).toMatchObject({ provider: 'OCTOPUS', name: 'CI runner', userId: 'Users-1', keyHint: secret.slice(0, 8), description: null });
    expect(days(apiKey.createdAt, apiKey.expiresAt!)).toBe(180); // expiresAt omitted: the server default

    const later = JSON.stringify(await t.query(EVERYTHING));
    expect(later).toContain(apiKey.id);
    expect(later).not.toContain(secret);
    const node = JSON.stringify(await t.query('query($id: ID!) { node(id: $id) { id ... on ApiKey { keyHint } } }', { id: apiKey.id }));
    expect(node).toContain(secret.slice(0, 8));
    expect(node).not.toContain(secret);
  });

  it('keeps expiresAt: null (server maximum) apart from an omitted one, and honours a date in any zone', async () => {
    await using t = await start();
    const max = ok(await t.query<{ createOctopusApiKey: Created }>(CREATE_OCTOPUS, { input: { purpose: 'max', expiresAt: null } }));
    expect(days(max.createOctopusApiKey.apiKey.createdAt, max.createOctopusApiKey.apiKey.expiresAt!)).toBe(366);
    const when = new Date(Date.now() + 30 * 86_400_000);
    const local = `${when.toISOString().slice(0, 19)}+02:00`;
    const dated = ok(await t.query<{ createOctopusApiKey: Created }>(CREATE_OCTOPUS, { input: { purpose: 'dated', expiresAt: local } }));
    expect(dated.createOctopusApiKey.apiKey.expiresAt).toBe(new Date(local).toISOString());
  });

  it('creates for another user when given one (the admin may), without asking who "me" is', async () => {
    await using t = await start();
    const created = ok(await t.query<{ createOctopusApiKey: Created }>(CREATE_OCTOPUS, { input: { purpose: 'for dev', userId: 'Users-2' } }));
    expect(created.createOctopusApiKey.apiKey.userId).toBe('Users-2');
    expect(t.counts()).toEqual({ 'POST /api/users/{userId}/apikeys': 1 });
  });

  it('rejects bad input before calling Octopus', async () => {
    await using t = await start();
    for (const input of [{ purpose: '   ' }, { purpose: 'x'.repeat(201) }, { purpose: 'ok', userId: '../../admin' }]) {
      expect(code(await t.query(CREATE_OCTOPUS, { input }))).toBe('BAD_USER_INPUT');
    }
    const zoneless = await t.query(CREATE_OCTOPUS, { input: { purpose: 'ok', expiresAt: '2030-01-01T00:00:00' } });
    expect(zoneless.body.errors?.[0]?.message).toMatch(/zone/);
    expect(t.counts()).toEqual({});
  });

  it('refuses an expiry in the past itself, before asking Octopus', async () => {
    await using t = await start();
    const response = await t.query(CREATE_OCTOPUS, { input: { purpose: 'past', expiresAt: '2020-01-01T00:00:00Z' } });
    expect(response.body.errors?.[0]).toMatchObject({ message: 'expiresAt must be in the future.', extensions: { code: 'BAD_USER_INPUT', field: 'expiresAt' } });
    expect(t.counts()['POST /api/users/{userId}/apikeys']).toBeUndefined();
  });

  it('passes on what Octopus rejects (an expiry past its maximum lifetime) as BAD_USER_INPUT with its message', async () => {
    await using t = await start();
    const response = await t.query(CREATE_OCTOPUS, { input: { purpose: 'far', expiresAt: new Date(Date.now() + 5 * 366 * 86_400_000).toISOString() } });
    expect(response.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/\w/),
      extensions: { code: 'BAD_USER_INPUT', provider: 'OCTOPUS', upstreamStatus: 400 },
    });
  });
});

describe('generateHyperstackApiKey and updateHyperstackApiKey', () => {
  it('generates a key whose secret appears once, then renames it partially', async () => {
    await using t = await start();
    const { generateHyperstackApiKey } = ok(
      await t.query<{ generateHyperstackApiKey: Created }>(GENERATE, { input: { name: 'etl', description: 'Nightly ETL' } }),
    );
    const { secret, apiKey } = generateHyperstackApiKey;
    expect(apiKey).toMatchObject({ provider: 'HYPERSTACK', name: 'etl', description: 'Nightly ETL', keyHint: secret.slice(-4) });
    expect(JSON.stringify(await t.query(EVERYTHING))).not.toContain(secret);

    // Only the name: the description is kept (the gateway re-sends it; the provider would clear it).
    const renamed = ok(await t.query<{ updateHyperstackApiKey: Created }>(UPDATE, { input: { id: apiKey.id, name: 'etl-nightly' } }));
    expect(renamed.updateHyperstackApiKey.apiKey).toMatchObject({ id: apiKey.id, name: 'etl-nightly', description: 'Nightly ETL' });

    // Only the description: the name is kept.
    const described = ok(await t.query<{ updateHyperstackApiKey: Created }>(UPDATE, { input: { id: apiKey.id, description: 'Hourly ETL' } }));
    expect(described.updateHyperstackApiKey.apiKey).toMatchObject({ name: 'etl-nightly', description: 'Hourly ETL' });

    // An explicit null clears the description.
    const cleared = ok(await t.query<{ updateHyperstackApiKey: Created }>(UPDATE, { input: { id: apiKey.id, description: null } }));
    expect(cleared.updateHyperstackApiKey.apiKey).toMatchObject({ name: 'etl-nightly', description: null });

    // Nothing to change: the current key, no write.
    t.resetCounts();
    const same = ok(await t.query<{ updateHyperstackApiKey: Created }>(UPDATE, { input: { id: apiKey.id } }));
    expect(same.updateHyperstackApiKey.apiKey.name).toBe('etl-nightly');
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
  });

  it('two partial updates of one key in one mutation: the second sees the first', async () => {
    await using t = await start();
    const keys = ok(await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(EVERYTHING)).apiKeys.nodes;
    const id = keys.find((k) => k.name === 'training')!.id;
    // Each update left out one field, so each reads the key's current value first; the second
    // must read it after the first one's write, or it re-sends the old name and undoes the rename.
    const both = ok(
      await t.query<{ renamed: Created; described: Created }>(
        `mutation($id: ID!) {
          renamed: updateHyperstackApiKey(input: { id: $id, name: "training-v2" }) { apiKey { name description } }
          described: updateHyperstackApiKey(input: { id: $id, description: "Fine-tuning, v2" }) { apiKey { name description } }
        }`,
        { id },
      ),
    );
    expect(both.renamed.apiKey).toEqual({ name: 'training-v2', description: 'Fine-tuning VMs' });
    expect(both.described.apiKey).toEqual({ name: 'training-v2', description: 'Fine-tuning, v2' });
    const after = ok(await t.query<{ apiKey: { name: string; description: string } }>('query($id: ID!) { apiKey(id: $id) { name description } }', { id }));
    expect(after.apiKey).toEqual({ name: 'training-v2', description: 'Fine-tuning, v2' });
  });

  it('a key generated in a mutation can be updated later in the same mutation', async () => {
    await using t = await start();
    const keys = ok(await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(EVERYTHING)).apiKeys.nodes;
    const existing = keys.find((k) => k.name === 'training')!.id;
    // The simulator numbers keys in order: the key after this one gets the next number.
    const probe = ok(await t.query<{ generateHyperstackApiKey: Created }>(GENERATE, { input: { name: 'probe' } }));
    const number = Buffer.from(probe.generateHyperstackApiKey.apiKey.id, 'base64').toString().split('/').pop();
    const next = Buffer.from(`HyperstackApiKey:default/${Number(number) + 1}`).toString('base64');
    const result = ok(
      await t.query<{ read: Created; generated: Created; described: Created }>(
        `mutation($existing: ID!, $next: ID!) {
          read: updateHyperstackApiKey(input: { id: $existing }) { apiKey { id } }
          generated: generateHyperstackApiKey(input: { name: "fresh" }) { secret apiKey { id } }
          described: updateHyperstackApiKey(input: { id: $next, description: "described in the same request" }) { apiKey { id name description } }
        }`,
        { existing, next },
      ),
    );
    // 'read' changed nothing but read the key list; the list read after 'generated' must have the new key.
    expect(result.generated.apiKey.id).toBe(next);
    expect(result.described.apiKey).toEqual({ id: next, name: 'fresh', description: 'described in the same request' });
  });

  it('maps Hyperstack refusals: a taken name is CONFLICT, the quota is FORBIDDEN', async () => {
    await using t = await start();
    const conflict = await t.query(GENERATE, { input: { name: 'training' } });
    expect(conflict.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', provider: 'HYPERSTACK', upstreamStatus: 409 });
    // alice has 3 keys and a quota of 6.
    for (const name of ['fill-1', 'fill-2', 'fill-3']) ok(await t.query(GENERATE, { input: { name } }));
    const quota = await t.query(GENERATE, { input: { name: 'one-too-many' } });
    expect(quota.body.errors?.[0]).toMatchObject({
      message: 'Maximum API key limit reached',
      extensions: { code: 'FORBIDDEN', provider: 'HYPERSTACK', upstreamStatus: 403 },
    });
  });

  it('refuses to update an Octopus key, a null name, or a key that does not exist', async () => {
    await using t = await start();
    const keys = ok(await t.query<{ apiKeys: { nodes: { id: string; purpose?: string }[] } }>(EVERYTHING)).apiKeys.nodes;
    const octopusKey = keys.find((k) => k.purpose !== undefined)!;
    const hyperstackKey = keys.find((k) => k.purpose === undefined)!;
    expect(code(await t.query(UPDATE, { input: { id: octopusKey.id, name: 'x' } }))).toBe('BAD_USER_INPUT');
    expect(code(await t.query(UPDATE, { input: { id: hyperstackKey.id, name: null } }))).toBe('BAD_USER_INPUT');
    expect(code(await t.query(UPDATE, { input: { id: 'bogus', name: 'x' } }))).toBe('BAD_USER_INPUT');
    // Both fields given: straight to the PUT, which answers 404. HyperstackApiKey:99999.
    const missing = await t.query(UPDATE, { input: { id: 'SHlwZXJzdGFja0FwaUtleTo5OTk5OQ==', name: 'x', description: 'y' } });
    expect(missing.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', provider: 'HYPERSTACK', upstreamStatus: 404 });
    // One field given: the current key is looked up in the list first, and is not there.
    const missingPartial = await t.query(UPDATE, { input: { id: 'SHlwZXJzdGFja0FwaUtleTo5OTk5OQ==', description: 'x' } });
    expect(missingPartial.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', provider: 'HYPERSTACK' });
  });
});

describe('deleteApiKey', () => {
  it('revokes a key of either provider by global id; a second revoke is NOT_FOUND', async () => {
    await using t = await start();
    const octopus = ok(await t.query<{ createOctopusApiKey: Created }>(CREATE_OCTOPUS, { input: { purpose: 'to revoke' } }));
    const keys = ok(await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(EVERYTHING)).apiKeys.nodes;
    const hyperstackId = keys.find((k) => k.name === 'training')!.id;
    const cases = [
      { id: octopus.createOctopusApiKey.apiKey.id, provider: 'OCTOPUS', upstreamStatus: 404 },
      { id: hyperstackId, provider: 'HYPERSTACK', upstreamStatus: 404 },
    ];
    for (const { id, provider, upstreamStatus } of cases) {
      const deleted = ok(await t.query<{ deleteApiKey: { deletedId: string; provider: string } }>(DELETE, { id }));
      expect(deleted.deleteApiKey).toEqual({ deletedId: id, provider });
      expect(JSON.stringify(await t.query(EVERYTHING))).not.toContain(id);
      const again = await t.query(DELETE, { id });
      expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', provider, upstreamStatus });
      // Payloads are nullable: the failed field is null, the rest of the data stays.
      expect(again.body.data).toEqual({ deleteApiKey: null });
    }
  });

  it('an Octopus id naming the wrong user is NOT_FOUND (Octopus says 400 "does not belong")', async () => {
    await using t = await start();
    const created = ok(await t.query<{ createOctopusApiKey: Created }>(CREATE_OCTOPUS, { input: { purpose: 'wrong user' } }));
    const { id } = created.createOctopusApiKey.apiKey;
    const keyId = Buffer.from(id, 'base64').toString().split('/').pop();
    const underAnotherUser = Buffer.from(`OctopusApiKey:Users-2/${keyId}`).toString('base64');
    const response = await t.query(DELETE, { id: underAnotherUser });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', provider: 'OCTOPUS', upstreamStatus: 400 });
    ok(await t.query(DELETE, { id })); // still there under its own user
  });

  it('rejects an id that is not an API key id with BAD_USER_INPUT and calls nobody', async () => {
    await using t = await start();
    for (const id of ['', 'bm9wZQ==', 'VXNlcjox']) expect(code(await t.query(DELETE, { id }))).toBe('BAD_USER_INPUT');
    expect(t.counts()).toEqual({});
  });
});
