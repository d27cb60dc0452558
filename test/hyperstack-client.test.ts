import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { startHyperstackSimulator, type HyperstackSeedUser, type HyperstackSimulator } from '../src/simulators/index.js';
import { HyperstackClient } from '../src/upstream/hyperstack.js';
import { testUpstreams, type TestUpstreams } from './support/upstreams.js';
import { failure } from './support/failure.js';

const users: HyperstackSeedUser[] = [
  {
    name: 'alice',
    keys: [
      { name: 'main', description: 'Signs in the tests', createdAt: '2024-06-14T13:29:50Z', secret: 'a36cca59-3c53-439c-a70d-1df8135be52c' },
      { name: 'no-description', description: null, createdAt: '2025-01-02T03:04:05Z' },
      { name: 'empty-description', description: '', createdAt: '2025-02-02T03:04:05Z' },
    ],
  },
  { name: 'bob', keys: [{ name: 'bob-main', createdAt: '2025-03-01T00:00:00Z' }] },
];

const sims: Record<string, HyperstackSimulator> = {};
const clients: Record<string, TestUpstreams> = {};

// Each test its own simulators (one per variant) and pools, closed when it finishes.
beforeEach(async () => {
  const variants = {
    naive: { createdAtFormat: 'naive' as const },
    zulu: { createdAtFormat: 'zulu' as const },
    absent: { emptyDescription: 'absent' as const },
    nullDescription: { emptyDescription: null },
    quota: { keyQuota: 3 },
  };
  const started = await Promise.all(
    Object.entries(variants).map(async ([name, options]) => {
      const sim = await startHyperstackSimulator({ users, ...options });
      return { name, sim, pools: testUpstreams({ hyperstack: sim }) };
    }),
  );
  onTestFinished(async () => {
    await Promise.all(started.map(({ pools }) => pools.close()));
    await Promise.all(started.map(({ sim }) => sim.close()));
  });
  for (const { name, sim, pools } of started) {
    sims[name] = sim;
    clients[name] = pools;
  }
});

const client = (variant = 'naive', credential = sims[variant]!.credentials[0]!) =>
  new HyperstackClient(clients[variant]!.hyperstack, 'default', { apiKey: credential });

describe('HyperstackClient', () => {
  it('lists the caller\'s keys as domain records with the last 4 characters as hint', async () => {
    const keys = await client().listKeys();
    expect(keys.map((k) => k.name)).toEqual(['main', 'no-description', 'empty-description']);
    expect(keys[0]).toEqual({
      provider: 'HYPERSTACK',
      account: 'default',
      id: expect.stringMatching(/^\d+$/),
      name: 'main',
      description: 'Signs in the tests',
      keyHint: 'e52c',
      createdAt: new Date('2024-06-14T13:29:50Z'),
    });
    expect(sims.naive!.requests('GET /v1/api-key')).toBe(1);
  });

  it('reads created_at with and without a zone as the same UTC instant', async () => {
    const [naive] = await client('naive').listKeys();
    const [zulu] = await client('zulu').listKeys();
    expect(naive!.createdAt!.toISOString()).toBe('2024-06-14T13:29:50.000Z');
    expect(zulu!.createdAt!.toISOString()).toBe('2024-06-14T13:29:50.000Z');
  });

  it('treats a description of "", null or absent alike', async () => {
    for (const variant of ['naive', 'absent', 'nullDescription']) {
      const keys = await client(variant).listKeys();
      expect(keys.slice(1).map((k) => k.description)).toEqual([null, null]);
    }
  });

  it('generates a key whose secret is only in the result, renames it, deletes it', async () => {
    const { apiKey, secret } = await client().generateKey({ name: 'ci', description: null });
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(apiKey).toMatchObject({ name: 'ci', description: null, keyHint: secret.slice(-4) });
    const listed = (await client().listKeys()).find((k) => k.id === apiKey.id);
    expect(listed).toEqual(apiKey);

    const renamed = await client().updateKey(apiKey.id, { name: 'ci-renamed', description: 'now with words' });
    expect(renamed).toMatchObject({ id: apiKey.id, name: 'ci-renamed', description: 'now with words', keyHint: secret.slice(-4) });

    await client().deleteKey(apiKey.id);
    expect((await client().listKeys()).some((k) => k.id === apiKey.id)).toBe(false);
  });

  it('does not retry a generate even when the connection drops', async () => {
    sims.naive!.fault('POST /v1/api-key/generate', { mode: 'drop' });
    expect(await failure(client().generateKey({ name: 'once', description: null }))).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(sims.naive!.requests('POST /v1/api-key/generate')).toBe(1);
  });

  it('retries a list on a dropped connection', async () => {
    sims.naive!.fault('GET /v1/api-key', { mode: 'drop' }, { times: 2 });
    expect(await client().listKeys()).toHaveLength(3);
    expect(sims.naive!.requests('GET /v1/api-key')).toBe(3);
  });
});

describe('Hyperstack error table', () => {
  it('401 for an unknown key is UNAUTHENTICATED', async () => {
    const error = await failure(client('naive', '00000000-0000-4000-8000-000000000000').listKeys());
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, provider: 'HYPERSTACK', message: 'Invalid API key' });
  });

  it('400 for a name that is too long is BAD_USER_INPUT with the provider message', async () => {
    const error = await failure(client().generateKey({ name: 'x'.repeat(51), description: null }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('409 for a taken name is CONFLICT', async () => {
    expect(await failure(client().generateKey({ name: 'main', description: null }))).toMatchObject({ code: 'CONFLICT', status: 409 });
  });

  it('403 at the key quota is FORBIDDEN', async () => {
    const error = await failure(client('quota').generateKey({ name: 'one too many', description: null }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403, message: 'Maximum API key limit reached' });
  });

  it('404 for another user\'s key is NOT_FOUND', async () => {
    const bobs = await client('naive', sims.naive!.credentials[1]).listKeys();
    expect(await failure(client().deleteKey(bobs[0]!.id))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(await failure(client().updateKey(bobs[0]!.id, { name: 'x', description: null }))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('500 with the legacy body is UPSTREAM_ERROR', async () => {
    sims.naive!.fault('GET /v1/api-key', { mode: 'error' });
    const error = await failure(client().listKeys());
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500, message: 'Hyperstack failed with HTTP 500.' }); // 5xx bodies are never shown
    expect(sims.naive!.requests('GET /v1/api-key')).toBe(1); // 500 is not a retryable status
  });

  it('a 200 that is not the documented JSON is UPSTREAM_ERROR', async () => {
    sims.naive!.fault('GET /v1/api-key', { mode: 'garbage' });
    expect(await failure(client().listKeys())).toMatchObject({ code: 'UPSTREAM_ERROR' });
  });
});
