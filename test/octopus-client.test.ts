import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { startOctopusSimulator, type OctopusSeedUser, type OctopusSimulator } from '../src/simulators/index.js';
import { OctopusClient } from '../src/upstream/octopus.js';
import { walkNewestFirst } from '../src/upstream/octopus-walk.js';
import { testUpstreams, type TestUpstreams } from './support/upstreams.js';
import { failure } from './support/failure.js';

const DAY = 86_400_000;
const now = Date.now();
const ago = (days: number) => new Date(now - days * DAY);

const users: OctopusSeedUser[] = [
  {
    id: 'Users-1',
    username: 'admin',
    displayName: 'Admin',
    isAdmin: true,
    keys: [
      { purpose: 'admin key', created: ago(1), expires: new Date(now + 30 * DAY), secret: `API-${'A'.repeat(26)}` },
      { purpose: 'old key', created: ago(300), expires: null },
    ],
  },
  {
    id: 'Users-2',
    username: 'dev',
    displayName: 'Developer',
    keys: Array.from({ length: 7 }, (_, i) => ({ purpose: `dev key ${i}`, created: ago(i + 2), expires: new Date(now + 90 * DAY) })),
  },
  { id: 'Users-3', username: 'nobody', displayName: 'No keys', keys: [] },
];

let sim: OctopusSimulator;
let legacy: OctopusSimulator;
let upstreams: TestUpstreams;

// Each test its own simulators and pools, closed when it finishes.
beforeEach(async () => {
  const started = await Promise.all([startOctopusSimulator({ users }), startOctopusSimulator({ users, apiKeyReadShape: 'string' })]);
  const pools = testUpstreams({ octopus: started[0] });
  onTestFinished(async () => {
    await pools.close();
    await Promise.all(started.map((s) => s.close()));
  });
  [sim, legacy] = started;
  upstreams = pools;
});

const client = (credential = sim.credentials['Users-1']!) => new OctopusClient(upstreams.octopus!, 'default', credential);

/** A user's whole list, as the gateway reads it: pages from the top with one overlapping key. */
const walk = (octopus: OctopusClient, userId: string, pageSize = 1_000) =>
  walkNewestFirst((skip, take) => octopus.listKeys(userId, { skip, take }), { pageSize, parallel: 4, maxItems: 100_000, what: 'keys' });

describe('OctopusClient reads', () => {
  it('resolves the current user', async () => {
    expect(await client().currentUser()).toEqual({ id: 'Users-1', username: 'admin', displayName: 'Admin', isService: false });
    expect(await client(sim.credentials['Users-2']).currentUser()).toMatchObject({ id: 'Users-2' });
  });

  it('lists a user\'s keys newest first as domain records', async () => {
    const keys = await walk(client(), 'Users-1');
    expect(keys.map((k) => k.purpose)).toEqual(['admin key', 'old key']);
    const [first] = keys;
    expect(first).toMatchObject({ provider: 'OCTOPUS', userId: 'Users-1', keyHint: 'API-AAAA' });
    expect(first!.id).toMatch(/^apikeys-/);
    expect(first!.createdAt).toBeInstanceOf(Date);
    expect(first!.expiresAt).toBeInstanceOf(Date);
    expect(keys[1]!.expiresAt).toBeNull();
    expect(JSON.stringify(keys)).not.toContain('A'.repeat(26));
  });

  it('walks every page, each after the first starting one key early', async () => {
    const keys = await walk(client(), 'Users-2', 3);
    expect(keys.map((k) => k.purpose)).toEqual(Array.from({ length: 7 }, (_, i) => `dev key ${i}`));
    expect(sim.requests('GET /api/users/{userId}/apikeys')).toBe(3);
  });

  it('lists in one request with the default large page size', async () => {
    expect(await walk(client(), 'Users-2')).toHaveLength(7);
    expect(sim.requests('GET /api/users/{userId}/apikeys')).toBe(1);
  });

  it('lists a user with no keys', async () => {
    expect(await walk(client(), 'Users-3')).toEqual([]);
  });

  it('gets one key, and null for an unknown id or a key of another user', async () => {
    const [key] = await walk(client(), 'Users-2');
    expect(await client().getKey('Users-2', key!.id)).toEqual(key);
    expect(await client().getKey('Users-2', 'apikeys-doesnotexist')).toBeNull();
    expect(await client().getKey('Users-1', key!.id)).toBeNull(); // Octopus answers 400 here
  });

  it('reads the older plain-string ApiKey shape without exposing more than the hint', async () => {
    const old = testUpstreams({ octopus: legacy });
    onTestFinished(() => old.close());
    const keys = await walk(new OctopusClient(old.octopus!, 'default', legacy.credentials['Users-1']!), 'Users-1');
    expect(keys[0]!.keyHint).toBe('API-AAAA');
    const one = await new OctopusClient(old.octopus!, 'default', legacy.credentials['Users-1']!).getKey('Users-1', keys[0]!.id);
    expect(one!.keyHint).toBe('API-AAAA');
  });
});

describe('OctopusClient writes', () => {
  it('creates a key with the secret in the result only, then deletes it', async () => {
    const { apiKey, secret } = await client().createKey({ userId: 'Users-3', purpose: 'ci', expires: undefined });
    expect(secret).toMatch(/^API-[A-Z0-9]{26}$/);
    expect(apiKey).toMatchObject({ provider: 'OCTOPUS', userId: 'Users-3', purpose: 'ci', keyHint: secret.slice(0, 8) });
    // Absent Expires: the server default (180 days in the simulator).
    expect(Math.round((apiKey.expiresAt!.getTime() - apiKey.createdAt!.getTime()) / DAY)).toBe(180);
    // The new secret works as a credential of its user.
    expect(await client(secret).currentUser()).toMatchObject({ id: 'Users-3' });

    await client().deleteKey('Users-3', apiKey.id);
    expect(await client().getKey('Users-3', apiKey.id)).toBeNull();
    const gone = await failure(client().deleteKey('Users-3', apiKey.id));
    expect(gone).toMatchObject({ code: 'NOT_FOUND', status: 404, provider: 'OCTOPUS' });
  });

  it('keeps an explicit null expiry apart from an absent one, and sends a given date', async () => {
    const max = await client().createKey({ userId: 'Users-3', purpose: 'max', expires: null });
    expect(Math.round((max.apiKey.expiresAt!.getTime() - max.apiKey.createdAt!.getTime()) / DAY)).toBe(366);
    const when = new Date(now + 10 * DAY);
    const dated = await client().createKey({ userId: 'Users-3', purpose: 'dated', expires: when });
    expect(dated.apiKey.expiresAt!.getTime()).toBe(when.getTime());
  });

  it('passes on Octopus validation messages as BAD_USER_INPUT', async () => {
    const error = await failure(client().createKey({ userId: 'Users-3', purpose: 'past', expires: ago(1) }));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    expect(error.message).toContain('past');
  });

  it('is never retried, even on a dropped connection (a retry could mint a second key)', async () => {
    sim.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' });
    const error = await failure(client().createKey({ userId: 'Users-3', purpose: 'once', expires: undefined }));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(sim.requests('POST /api/users/{userId}/apikeys')).toBe(1);
  });

  it('does not retry a delete either', async () => {
    sim.fault('DELETE /api/users/{userId}/apikeys/{id}', { mode: 'rate-limit', retryAfterSeconds: 0 });
    const error = await failure(client().deleteKey('Users-3', 'apikeys-x'));
    expect(error.code).toBe('RATE_LIMITED');
    expect(sim.requests('DELETE /api/users/{userId}/apikeys/{id}')).toBe(1);
  });
});

describe('Octopus error table', () => {
  it('401 from a bad credential is UNAUTHENTICATED with the provider message', async () => {
    const error = await failure(client('API-NOTAREALKEY0000000000000000').currentUser());
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, provider: 'OCTOPUS' });
    expect(error.message).toMatch(/You must be logged in/);
  });

  it('403 for another user\'s keys without permission is FORBIDDEN', async () => {
    const error = await failure(walk(client(sim.credentials['Users-2']), 'Users-1'));
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(error.message).toMatch(/Missing permission/);
  });

  it('404 for an unknown user is NOT_FOUND', async () => {
    expect(await failure(walk(client(), 'Users-99'))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('500 is UPSTREAM_ERROR with a fixed message: a 5xx body is never shown', async () => {
    sim.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });
    const error = await failure(walk(client(), 'Users-1'));
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500 });
    expect(error.message).toBe('Octopus Deploy failed with HTTP 500.');
  });

  it('a body that is not JSON is UPSTREAM_ERROR', async () => {
    sim.fault('GET /api/users/me', { mode: 'garbage' });
    expect(await failure(client().currentUser())).toMatchObject({ code: 'UPSTREAM_ERROR', status: 200 });
  });

  it('429 honours Retry-After on reads, then gives up with RATE_LIMITED and retryAfterSeconds', async () => {
    sim.fault('GET /api/users/me', { mode: 'rate-limit', retryAfterSeconds: 0 }, { times: 1 });
    expect(await client().currentUser()).toMatchObject({ id: 'Users-1' });
    expect(sim.requests('GET /api/users/me')).toBe(2);

    sim.resetCounts();
    sim.fault('GET /api/users/me', { mode: 'rate-limit', retryAfterSeconds: 120 });
    const error = await failure(client().currentUser());
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 120 });
    expect(sim.requests('GET /api/users/me')).toBe(1); // too long to wait for: not retried
  });
});
