// Raw-HTTP tests of the provider simulators (src/simulators): what a client sees on the wire.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  startHyperstackSimulator,
  startOctopusSimulator,
  type HyperstackSimulator,
  type HyperstackSimulatorOptions,
  type OctopusSimulator,
  type OctopusSimulatorOptions,
  type SimulatorControl,
} from '../src/simulators/index.js';
import { fakeClock, until, watch, type Watched } from './support/clock.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
type Body = any;
interface Res {
  status: number;
  headers: Headers;
  text: string;
  body: Body;
}

/** One HTTP call; `body` is sent as JSON unless it is already a string. */
async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal } = {},
): Promise<Res> {
  const headers = { ...init.headers };
  let payload: string | undefined;
  if (init.body !== undefined) {
    payload = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: payload, signal: init.signal });
  const text = await res.text();
  let body: Body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const DAY = 24 * 60 * 60 * 1000;
const START = new Date('2026-03-01T10:15:30.123Z');
const OCTOPUS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/;
const octoDate = (d: Date) => d.toISOString().replace('Z', '+00:00');

// ---------------------------------------------------------------------------------------------
describe('Octopus simulator', () => {
  const ADA_SECRET = 'API-ADA00000000000000000000001'; // 26 after 'API-'
  const BOB_EXPIRED = 'API-BOBEXPIRED000000000000001';
  let clock: Date;
  let sim: OctopusSimulator;
  let base: string;
  let ada: Record<string, string>;
  let bob: Record<string, string>;

  const start = async (options: OctopusSimulatorOptions = {}) => {
    sim = await startOctopusSimulator({
      now: () => new Date(clock),
      users: [
        {
          id: 'Users-1',
          username: 'ada',
          displayName: 'Ada Lovelace',
          isAdmin: true,
          keys: [
            { purpose: 'CLI on laptop', created: '2026-02-20T09:00:00.000+00:00', expires: '2026-08-19T09:00:00Z', secret: ADA_SECRET },
            { purpose: 'GitHub Actions deploy', created: '2026-01-10T12:00:00Z', expires: '2026-07-09T12:00:00Z' },
            { purpose: 'Terraform provider', created: '2025-12-01T08:30:00Z', expires: '2026-03-05T08:30:00Z' },
            { purpose: 'terraform state sync', created: '2025-12-01T08:30:00Z', expires: null },
          ],
        },
        {
          id: 'Users-2',
          username: 'bob',
          displayName: 'Bob Builder',
          keys: [
            { purpose: 'Old key', created: '2025-01-01T00:00:00Z', expires: '2025-07-01T00:00:00Z', secret: BOB_EXPIRED },
            { purpose: 'TeamCity agent', created: '2026-02-01T00:00:00Z', expires: '2026-07-31T00:00:00Z' },
          ],
        },
        { id: 'Users-3', username: 'carol', displayName: 'Carol Service', keys: [] },
      ],
      ...options,
    });
    base = `${sim.url}/api`;
    ada = { 'X-Octopus-ApiKey': sim.credentials['Users-1'] ?? '' };
    bob = { 'X-Octopus-ApiKey': sim.credentials['Users-2'] ?? '' };
  };

  beforeEach(async () => {
    clock = new Date(START);
    await start();
  });
  afterEach(() => sim.close());

  const list = (path: string, headers = ada) => call(`${sim.url}${path}`, { headers });
  const create = (body: unknown, userId = 'Users-1', headers = ada) =>
    call(`${base}/users/${userId}/apikeys`, { method: 'POST', headers, body });

  describe('authentication', () => {
    const UNAUTHORIZED = {
      ErrorMessage: 'You must be logged in to perform this action. Please provide a valid API key or log in again.',
    };

    it('answers 401 with the Octopus message without a key, with a wrong key and with an expired key', async () => {
      const attempts: Record<string, string>[] = [{}, { 'X-Octopus-ApiKey': 'API-WRONG' }, { 'X-Octopus-ApiKey': BOB_EXPIRED }];
      for (const headers of attempts) {
        const res = await call(`${base}/users/me`, { headers });
        expect(res.status).toBe(401);
        expect(res.body).toEqual(UNAUTHORIZED);
      }
    });

    it('reports the first non-expired seeded key of each user as its credential', () => {
      expect(sim.credentials['Users-1']).toBe(ADA_SECRET);
      expect(sim.credentials['Users-2']).toMatch(/^API-[A-Z0-9]{26}$/);
      expect(sim.credentials['Users-2']).not.toBe(BOB_EXPIRED);
      expect(sim.credentials).not.toHaveProperty('Users-3');
    });

    it('accepts the key as a query parameter of any case, and as X-NuGet-ApiKey', async () => {
      for (const name of ['apikey', 'ApiKey', 'APIKEY']) {
        const res = await call(`${base}/users/me?${name}=${ADA_SECRET}`);
        expect(res.status, name).toBe(200);
      }
      expect((await call(`${base}/users/me`, { headers: { 'X-NuGet-ApiKey': ADA_SECRET } })).status).toBe(200);
    });

    it('lets a key stop working once it expires', async () => {
      clock = new Date('2026-08-19T09:00:00.001Z');
      expect((await call(`${base}/users/me`, { headers: ada })).status).toBe(401);
    });
  });

  describe('users', () => {
    it('returns the current user with its ApiKeys link template', async () => {
      const res = await call(`${base}/users/me`, { headers: bob });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        Id: 'Users-2',
        Username: 'bob',
        DisplayName: 'Bob Builder',
        IsActive: true,
        IsService: false,
        EmailAddress: 'bob@example.com',
        Links: { Self: '/api/users/Users-2', ApiKeys: '/api/users/Users-2/apikeys{/id}{?skip,take}' },
      });
    });

    it('returns a user by id, and 404 for an unknown one', async () => {
      expect((await call(`${base}/users/Users-1`, { headers: bob })).body.Username).toBe('ada');
      const res = await call(`${base}/users/Users-9`, { headers: ada });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ ErrorMessage: "The resource 'Users-9' was not found." });
    });
  });

  describe('list', () => {
    it('returns the newest first (ties by Id) with hints only, never the secret', async () => {
      const res = await list('/api/users/Users-1/apikeys');
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(ADA_SECRET);
      const { Items: items, ...page } = res.body;
      const purposes = items.map((k: Body) => k.Purpose);
      expect(purposes.slice(0, 2)).toEqual(['CLI on laptop', 'GitHub Actions deploy']);
      expect(purposes.slice(2).sort()).toEqual(['Terraform provider', 'terraform state sync']);
      const tied = items.slice(2).map((k: Body) => k.Id); // same Created: ordered by Id
      expect(tied).toEqual([...tied].sort());
      expect(page).toMatchObject({ ItemType: 'ApiKey', TotalResults: 4, ItemsPerPage: 30, NumberOfPages: 1, LastPageNumber: 0 });

      const first = items[0];
      expect(first).toEqual({
        Id: expect.stringMatching(/^apikeys-[0-9A-Za-z]{26}$/),
        UserId: 'Users-1',
        Purpose: 'CLI on laptop',
        ApiKey: { HasValue: true, NewValue: null, Hint: 'API-ADA0' },
        Created: '2026-02-20T09:00:00.000+00:00',
        Expires: '2026-08-19T09:00:00.000+00:00',
        AccessLevel: 'FullAccess',
        ActorType: 'User',
        IsLastUsedTimestampKnown: true,
        LastUsedTimeStamp: octoDate(START), // this very request authenticated with it
        Links: { Self: `/api/users/Users-1/apikeys/${first.Id}` },
      });
      for (const k of items) expect(k.Created).toMatch(OCTOPUS_DATE);
      expect(items[1].LastUsedTimeStamp).toBeNull();
      expect(items.find((k: Body) => k.Purpose === 'terraform state sync').Expires).toBeNull();
    });

    it('pages with skip/take and server-relative links; Page.Next only while there is another page', async () => {
      const first = await list('/api/users/Users-1/apikeys?take=3');
      expect(first.body).toMatchObject({ TotalResults: 4, ItemsPerPage: 3, NumberOfPages: 2, LastPageNumber: 1 });
      expect(first.body.Links).toEqual({
        Self: '/api/users/Users-1/apikeys?skip=0&take=3',
        Template: '/api/users/Users-1/apikeys{?skip,take,partialPurpose}',
        'Page.All': '/api/users/Users-1/apikeys?skip=0&take=2147483647',
        'Page.Current': '/api/users/Users-1/apikeys?skip=0&take=3',
        'Page.Last': '/api/users/Users-1/apikeys?skip=3&take=3',
        'Page.Next': '/api/users/Users-1/apikeys?skip=3&take=3',
      });

      // A client that follows Page.Next sees every key exactly once, in order.
      const all = (await list('/api/users/Users-1/apikeys')).body.Items.map((k: Body) => k.Id);
      const seen: string[] = [];
      let next: string | undefined = '/api/users/Users-1/apikeys?take=1';
      while (next) {
        const page: Res = await list(next);
        seen.push(...page.body.Items.map((k: Body) => k.Id));
        next = page.body.Links['Page.Next'];
      }
      expect(seen).toEqual(all);

      const last = await list('/api/users/Users-1/apikeys?skip=3&take=3');
      expect(last.body.Items).toHaveLength(1);
      expect(last.body.Links).not.toHaveProperty('Page.Next');
      expect(last.body.Links.Self).toBe('/api/users/Users-1/apikeys?skip=3&take=3');
    });

    it('describes an empty collection as one empty page', async () => {
      const res = await list('/api/users/Users-3/apikeys');
      expect(res.body).toMatchObject({ TotalResults: 0, Items: [], NumberOfPages: 1, LastPageNumber: 0 });
      expect(res.body.Links['Page.Last']).toBe('/api/users/Users-3/apikeys?skip=0&take=30');
      expect(res.body.Links).not.toHaveProperty('Page.Next');
    });

    it('filters by partialPurpose, case-insensitively, and keeps the filter in the links', async () => {
      const res = await list('/api/users/Users-1/apikeys?partialPurpose=TERRA&take=1');
      expect(res.body.TotalResults).toBe(2);
      expect(res.body.Items[0].Purpose.toLowerCase()).toContain('terra');
      expect(res.body.Links['Page.Next']).toBe('/api/users/Users-1/apikeys?skip=1&take=1&partialPurpose=TERRA');
    });

    it('rejects skip/take that are not non-negative integers', async () => {
      for (const q of ['take=-1', 'skip=abc', 'take=1.5', 'skip=99999999999']) {
        const res = await list(`/api/users/Users-1/apikeys?${q}`);
        expect(res.status, q).toBe(400);
        expect(res.body).toEqual({ ErrorMessage: 'There was a problem with your request.', Errors: [expect.any(String)] });
      }
    });

    it('writes ApiKey as a masked string when emulating an older server', async () => {
      await sim.close();
      await start({ apiKeyReadShape: 'string' });
      const res = await list('/api/users/Users-1/apikeys');
      const key = res.body.Items.find((k: Body) => k.Purpose === 'CLI on laptop');
      expect(key.ApiKey).toBe(`API-ADA0${'*'.repeat(ADA_SECRET.length - 8)}`);
      expect(res.text).not.toContain(ADA_SECRET);
    });
  });

  describe('get one', () => {
    it('returns the key as it appears in the list', async () => {
      const [first] = (await list('/api/users/Users-1/apikeys')).body.Items;
      const res = await call(`${base}/users/Users-1/apikeys/${first.Id}`, { headers: ada });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(first);
    });

    it('answers 404 for an unknown key and 400 for a key of another user', async () => {
      const missing = await call(`${base}/users/Users-1/apikeys/apikeys-nope`, { headers: ada });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ ErrorMessage: "The resource 'apikeys-nope' was not found." });

      const [bobsKey] = (await list('/api/users/Users-2/apikeys')).body.Items; // ada is an admin
      const wrongUser = await call(`${base}/users/Users-1/apikeys/${bobsKey.Id}`, { headers: ada });
      expect(wrongUser.status).toBe(400);
      expect(wrongUser.body).toEqual({ ErrorMessage: 'This ApiKey does not belong to the specified user.' });
    });

    it("treats 'me' as an unknown user in the api-key routes", async () => {
      const res = await list('/api/users/me/apikeys');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ ErrorMessage: "The resource 'me' was not found." });
    });
  });

  describe('permissions', () => {
    it("forbids a non-admin to touch another user's keys on every route", async () => {
      const [adasKey] = (await list('/api/users/Users-1/apikeys')).body.Items;
      const attempts = [
        call(`${base}/users/Users-1/apikeys`, { headers: bob }),
        call(`${base}/users/Users-1/apikeys/${adasKey.Id}`, { headers: bob }),
        create({ Purpose: 'sneaky' }, 'Users-1', bob),
        call(`${base}/users/Users-1/apikeys/${adasKey.Id}`, { method: 'DELETE', headers: bob }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(403);
        expect(res.body.ErrorMessage).toBe(
          'You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: UserEdit',
        );
      }
      expect((await list('/api/users/Users-1/apikeys')).body.TotalResults).toBe(4);
    });

    it("lets an admin manage another user's keys", async () => {
      const res = await create({ Purpose: 'rotated by admin' }, 'Users-2', ada);
      expect(res.status).toBe(200);
      expect(res.body.UserId).toBe('Users-2');
      expect((await list('/api/users/Users-2/apikeys', bob)).body.TotalResults).toBe(3);
    });
  });

  describe('create', () => {
    it('returns 200 with the secret once, and stores only what the list shows', async () => {
      const res = await create({ Purpose: 'ci-pipeline', UserId: 'Users-1' });
      expect(res.status).toBe(200);
      const secret: string = res.body.ApiKey;
      expect(secret).toMatch(/^API-[A-Z0-9]{26}$/);
      expect(res.body).toEqual({
        Id: expect.stringMatching(/^apikeys-[0-9A-Za-z]{26}$/),
        UserId: 'Users-1',
        Purpose: 'ci-pipeline',
        ApiKey: secret,
        Created: octoDate(START),
        Expires: octoDate(new Date(START.getTime() + 180 * DAY)),
        ActorType: 'User',
        IsLastUsedTimestampKnown: true,
        LastUsedTimeStamp: null,
        Links: { Self: `/api/users/Users-1/apikeys/${res.body.Id}` },
      });

      // The new key is a working credential, and reads never show it again.
      const me = await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': secret } });
      expect(me.body.Id).toBe('Users-1');
      const listed = await list('/api/users/Users-1/apikeys');
      expect(listed.text).not.toContain(secret);
      expect(listed.body.Items[0]).toMatchObject({ Id: res.body.Id, ApiKey: { Hint: secret.slice(0, 8) } });
    });

    it('tells absent Expires (the default) from explicit null (the maximum)', async () => {
      const absent = await create({ Purpose: 'a' });
      const nul = await create({ Purpose: 'b', Expires: null });
      const given = await create({ Purpose: 'c', Expires: '2026-06-01T00:00:00Z' });
      expect(absent.body.Expires).toBe(octoDate(new Date(START.getTime() + 180 * DAY)));
      expect(nul.body.Expires).toBe(octoDate(new Date(START.getTime() + 366 * DAY)));
      expect(given.body.Expires).toBe('2026-06-01T00:00:00.000+00:00');
    });

    it('honours defaultExpiryDays and maxExpiryDays', async () => {
      await sim.close();
      await start({ defaultExpiryDays: 30, maxExpiryDays: 90 });
      expect((await create({ Purpose: 'a' })).body.Expires).toBe(octoDate(new Date(START.getTime() + 30 * DAY)));
      expect((await create({ Purpose: 'b', Expires: null })).body.Expires).toBe(octoDate(new Date(START.getTime() + 90 * DAY)));
      expect((await create({ Purpose: 'c', Expires: '2026-06-30T00:00:00Z' })).status).toBe(400);
    });

    it.each([
      ['no body', undefined, 'No request body was supplied.'],
      ['invalid JSON', '{"Purpose":', 'The request body could not be parsed as JSON.'],
      ['an array', [], 'The request body must be a JSON object.'],
      ['no Purpose', { Expires: null }, 'Please provide a purpose for this API key.'],
      ['a blank Purpose', { Purpose: '  ' }, 'Please provide a purpose for this API key.'],
      ['Expires in the past', { Purpose: 'x', Expires: '2026-02-28T00:00:00Z' }, 'The expiry date cannot be in the past.'],
      ['Expires beyond the maximum', { Purpose: 'x', Expires: '2027-03-03T00:00:00Z' }, 'The expiry date cannot be more than 366 days in the future.'],
      ['Expires not a date', { Purpose: 'x', Expires: 'next tuesday' }, 'Expires must be an ISO-8601 date and time.'],
      ['another UserId', { Purpose: 'x', UserId: 'Users-2' }, 'The UserId in the request body does not match the user in the URL.'],
    ])('answers 400 with Errors for %s', async (_case, body, message) => {
      const res =
        body === undefined
          ? await call(`${base}/users/Users-1/apikeys`, { method: 'POST', headers: ada })
          : await create(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ ErrorMessage: 'There was a problem with your request.', Errors: [message] });
    });
  });

  describe('delete', () => {
    it('revokes the key: 200 {}, then it no longer authenticates and is gone', async () => {
      const created = await create({ Purpose: 'short-lived' });
      const path = `${base}/users/Users-1/apikeys/${created.body.Id}`;
      const res = await call(path, { method: 'DELETE', headers: ada });
      expect(res.status).toBe(200);
      expect(res.text).toBe('{}');
      expect((await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': created.body.ApiKey } })).status).toBe(401);
      expect((await call(path, { headers: ada })).status).toBe(404);
      expect((await call(path, { method: 'DELETE', headers: ada })).status).toBe(404);
    });
  });

  describe('routing', () => {
    it('answers 404 for an unknown route and 405 (with Allow) for a wrong method', async () => {
      const unknown = await call(`${base}/projects`, { headers: ada });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ ErrorMessage: expect.any(String) });

      const wrong = await call(`${base}/users/Users-1/apikeys`, { method: 'PUT', headers: ada, body: {} });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, POST');
      expect(wrong.body).toEqual({ ErrorMessage: expect.any(String) });
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('Hyperstack simulator', () => {
  const ADA = '3f2b8c1e-7d4a-4e6b-9a1c-0d5e8f7a11bb';
  const BOB = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8bbe9a';
  const NOW = new Date('2026-05-06T15:18:42.512Z');
  const MASK = /^\*{8}-\*{4}-\*{4}-\*{4}-\*{8}[0-9a-f]{4}$/;
  let sim: HyperstackSimulator;
  let ada: Record<string, string>;
  let bob: Record<string, string>;

  const start = async (options: HyperstackSimulatorOptions = {}) => {
    sim = await startHyperstackSimulator({
      now: () => NOW,
      users: [
        {
          name: 'ada',
          keys: [
            { name: 'ci-runner', description: 'Key used by CI', createdAt: '2024-06-14T13:29:50', secret: ADA },
            { name: 'terraform', description: '', createdAt: new Date('2026-01-02T03:04:05Z') },
          ],
        },
        { name: 'bob', keys: [{ name: 'notebook', createdAt: '2025-11-30T08:00:00Z', secret: BOB }] },
      ],
      ...options,
    });
    ada = { api_key: ADA };
    bob = { api_key: BOB };
  };
  beforeEach(() => start());
  afterEach(() => sim.close());

  const keysOf = async (headers: Record<string, string>) => (await call(`${sim.url}/api-key`, { headers })).body.api_keys;
  const generate = (body: unknown, headers = ada) =>
    call(`${sim.url}/api-key/generate`, { method: 'POST', headers, body });
  const update = (id: number | string, body: unknown, headers = ada) =>
    call(`${sim.url}/api-key/${id}`, { method: 'PUT', headers, body });
  const remove = (id: number | string, headers = ada) => call(`${sim.url}/api-key/${id}`, { method: 'DELETE', headers });

  it('answers 401 in the error envelope without a key or with an unknown one', async () => {
    expect(sim.credentials).toEqual([ADA, BOB]);
    const attempts: Record<string, string>[] = [{}, { api_key: 'nope' }, { Authorization: `Bearer ${ADA}` }];
    for (const headers of attempts) {
      const res = await call(`${sim.url}/api-key`, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ status: false, message: expect.any(String), error_reason: 'unauthorized' });
    }
  });

  it("lists only the caller's keys, masked, in ascending id order from 58", async () => {
    const res = await call(`${sim.url}/api-key`, { headers: ada });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(ADA);
    expect(res.body).toEqual({
      status: true,
      message: 'Getting API Keys success',
      api_keys: [
        { id: 58, name: 'ci-runner', description: 'Key used by CI', key: '********-****-****-****-********11bb', created_at: '2024-06-14T13:29:50' },
        { id: 59, name: 'terraform', description: '', key: expect.stringMatching(MASK), created_at: '2026-01-02T03:04:05' },
      ],
    });
    expect(await keysOf(bob)).toEqual([expect.objectContaining({ id: 60, name: 'notebook', description: '' })]);
  });

  it.each([
    [{ createdAtFormat: 'zulu' as const }, '2024-06-14T13:29:50Z', ''],
    [{ emptyDescription: null }, '2024-06-14T13:29:50', null],
  ])('honours %j', async (options, createdAt, emptyDescription) => {
    await sim.close();
    await start(options);
    const [first, second] = await keysOf(ada);
    expect(first.created_at).toBe(createdAt);
    expect(second.description).toBe(emptyDescription);
  });

  it("leaves description out when emptyDescription is 'absent'", async () => {
    await sim.close();
    await start({ emptyDescription: 'absent' });
    const [first, second] = await keysOf(ada);
    expect(first.description).toBe('Key used by CI');
    expect(second).not.toHaveProperty('description');
  });

  describe('generate', () => {
    it('returns the full UUID key once; it authenticates as its owner and is masked afterwards', async () => {
      const res = await generate({ name: 'batch-jobs', description: 'Nightly batch' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: true,
        message: 'API Key generated successfully',
        api_key: {
          id: 61,
          name: 'batch-jobs',
          description: 'Nightly batch',
          key: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
          created_at: '2026-05-06T15:18:42',
        },
      });
      const secret: string = res.body.api_key.key;
      const listed = await call(`${sim.url}/api-key`, { headers: { api_key: secret } });
      expect(listed.text).not.toContain(secret);
      expect(listed.body.api_keys.map((k: Body) => k.id)).toEqual([58, 59, 61]);
      expect(listed.body.api_keys[2].key).toBe(`********-****-****-****-********${secret.slice(-4)}`);
    });

    it('answers 409 already_exist for a name the user already has (not for another user)', async () => {
      const res = await generate({ name: 'ci-runner' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ status: false, message: expect.any(String), error_reason: 'already_exist' });
      expect((await generate({ name: 'ci-runner' }, bob)).status).toBe(200);
    });

    it('answers 403 at the key quota', async () => {
      await sim.close();
      await start({ keyQuota: 3 });
      expect((await generate({ name: 'third' })).status).toBe(200);
      const res = await generate({ name: 'fourth' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ status: false, message: 'Maximum API key limit reached', error_reason: 'forbidden' });
    });

    it.each([
      ['no body', undefined],
      ['invalid JSON', '{"name":'],
      ['an array', []],
      ['no name', { description: 'x' }],
      ['an empty name', { name: '' }],
      ['a blank name', { name: '   ' }],
      ['a numeric name', { name: 42 }],
      ['a name over 50 characters', { name: 'n'.repeat(51) }],
      ['a numeric description', { name: 'x', description: 7 }],
    ])('answers 400 bad_request for %s', async (_case, body) => {
      const res = await call(`${sim.url}/api-key/generate`, { method: 'POST', headers: ada, body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ status: false, message: expect.any(String), error_reason: 'bad_request' });
    });

    it('takes the name limit from nameMaxLength', async () => {
      await sim.close();
      await start({ nameMaxLength: 200 });
      expect((await generate({ name: 'n'.repeat(200) })).status).toBe(200);
      expect((await generate({ name: 'n'.repeat(201) })).status).toBe(400);
    });
  });

  describe('update', () => {
    it('renames and re-describes, answering with the masked key', async () => {
      const res = await update(58, { name: 'ci', description: 'Renamed' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: true,
        message: 'API Key updated successfully',
        api_key: { id: 58, name: 'ci', description: 'Renamed', key: '********-****-****-****-********11bb', created_at: '2024-06-14T13:29:50' },
      });
    });

    it('clears the description when it is left out', async () => {
      expect((await update(58, { name: 'ci-runner' })).body.api_key.description).toBe('');
      expect((await keysOf(ada))[0].description).toBe('');
    });

    it('answers 409 when renaming onto another key of the same user; keeping its own name is fine', async () => {
      const res = await update(58, { name: 'terraform' });
      expect(res.status).toBe(409);
      expect(res.body.error_reason).toBe('already_exist');
      expect((await update(58, { name: 'ci-runner', description: 'same name' })).status).toBe(200);
    });

    it("answers 404 for an unknown id or another user's key, 400 for a bad id or body", async () => {
      for (const [id, headers] of [[60, ada], [999, ada], [58, bob]] as const) {
        const res = await update(id, { name: 'x' }, headers);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ status: false, message: expect.any(String), error_reason: 'not_found' });
      }
      expect((await update('abc', { name: 'x' })).body.error_reason).toBe('bad_request');
      expect((await update(58, { description: 'no name' })).status).toBe(400);
      expect((await keysOf(bob))[0].name).toBe('notebook');
    });
  });

  describe('delete', () => {
    it('deletes a key: 200, gone from the list, no longer a credential, then 404', async () => {
      const created = await generate({ name: 'temp' });
      const id: number = created.body.api_key.id;
      const res = await remove(id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: true, message: 'API Key deleted successfully' });
      expect((await keysOf(ada)).map((k: Body) => k.id)).toEqual([58, 59]);
      expect((await call(`${sim.url}/api-key`, { headers: { api_key: created.body.api_key.key } })).status).toBe(401);
      expect((await remove(id)).status).toBe(404);
    });

    it("cannot delete another user's key, and rejects a non-integer id", async () => {
      expect((await remove(60)).status).toBe(404);
      expect((await remove('sixty')).status).toBe(400);
      expect(await keysOf(bob)).toHaveLength(1);
    });
  });

  it('answers 404 for an unknown route and 405 (with Allow) for a wrong method, in the envelope', async () => {
    const unknown = await call(`${sim.url}/vm`, { headers: ada });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ status: false, message: expect.any(String), error_reason: 'not_found' });
    const wrong = await call(`${sim.url}/api-key/58`, { headers: ada });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('PUT, DELETE');
    expect(wrong.body.status).toBe(false);
  });

  it('rejects a seed user without keys (nobody could sign in as them)', async () => {
    await expect(startHyperstackSimulator({ users: [{ name: 'empty', keys: [] }] })).rejects.toThrow(/at least one key/);
  });
});

// ---------------------------------------------------------------------------------------------
// The control surface is shared plumbing; run the same checks against both providers.
interface Case {
  name: string;
  start: () => Promise<SimulatorControl>;
  /** a route template and a request that hits it with a valid credential */
  route: string;
  hit: (sim: SimulatorControl, signal?: AbortSignal) => Promise<Res>;
  other: { route: string; hit: (sim: SimulatorControl) => Promise<Res> };
  errorBody: unknown;
  rateLimitBody: unknown;
}

let octoKey = '';
let hsKey = '';
const cases: Case[] = [
  {
    name: 'Octopus',
    start: async () => {
      const sim = await startOctopusSimulator();
      octoKey = sim.credentials['Users-1'] ?? '';
      return sim;
    },
    route: 'GET /api/users/{userId}/apikeys',
    hit: (sim, signal) => call(`${sim.url}/api/users/Users-1/apikeys`, { headers: { 'X-Octopus-ApiKey': octoKey }, signal }),
    other: {
      route: 'GET /api/users/me',
      hit: (sim) => call(`${sim.url}/api/users/me`, { headers: { 'X-Octopus-ApiKey': octoKey } }),
    },
    errorBody: {
      ErrorMessage: 'Object reference not set to an instance of an object.',
      FullException: expect.stringMatching(/^System\.NullReferenceException: /),
    },
    rateLimitBody: { ErrorMessage: 'Too many requests. Please slow down.' },
  },
  {
    name: 'Hyperstack',
    start: async () => {
      const sim = await startHyperstackSimulator();
      hsKey = sim.credentials[0] ?? '';
      return sim;
    },
    route: 'GET /v1/api-key',
    hit: (sim, signal) => call(`${sim.url}/api-key`, { headers: { api_key: hsKey }, signal }),
    other: {
      route: 'DELETE /v1/api-key/{api_key_id}',
      hit: (sim) => call(`${sim.url}/api-key/999`, { method: 'DELETE', headers: { api_key: hsKey } }),
    },
    errorBody: { message: 'Internal Server Error' },
    rateLimitBody: { status: false, message: 'Too many requests', error_reason: 'too_many_requests' },
  },
];

describe.each(cases)('$name simulator control', (c) => {
  let sim: SimulatorControl;
  beforeEach(async () => {
    sim = await c.start();
  });
  afterEach(() => sim.close());

  it('starts from the demo seed with working credentials', async () => {
    const res = await c.hit(sim);
    expect(res.status).toBe(200);
  });

  describe('faults', () => {
    it("'error': 500 with the provider's own error body", async () => {
      sim.fault(c.route, { mode: 'error' });
      const res = await c.hit(sim);
      expect(res.status).toBe(500);
      expect(res.body).toEqual(c.errorBody);
    });

    it("'garbage': 200 application/json that is not JSON", async () => {
      sim.fault(c.route, { mode: 'garbage' });
      const res = await c.hit(sim);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(() => JSON.parse(res.text) as unknown).toThrow();
    });

    it("'hang': never answers, while the simulator goes on answering others; the client gives up", async () => {
      sim.fault(c.route, { mode: 'hang' });
      const controller = new AbortController();
      const pending = watch(c.hit(sim, controller.signal));
      await until(() => sim.requests(c.route) === 1, 'the request to arrive');
      await c.other.hit(sim); // a later request is answered meanwhile
      expect(pending.settled).toBe(false);
      controller.abort();
      await expect(pending.promise).rejects.toMatchObject({ name: 'AbortError' });
      expect(sim.requests(c.route)).toBe(1);
    });

    it("'drop': the connection is closed without a response", async () => {
      sim.fault(c.route, { mode: 'drop' });
      await expect(c.hit(sim)).rejects.toThrow(TypeError);
      expect(sim.requests(c.route)).toBe(1);
    });

    it("'rate-limit': 429 with the provider body, Retry-After only when given", async () => {
      sim.fault(c.route, { mode: 'rate-limit', retryAfterSeconds: 7 }, { times: 1 });
      const limited = await c.hit(sim);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
      expect(limited.body).toEqual(c.rateLimitBody);

      sim.fault(c.route, { mode: 'rate-limit' });
      const bare = await c.hit(sim);
      expect(bare.status).toBe(429);
      expect(bare.headers.get('retry-after')).toBeNull();
      expect(bare.body).toEqual(c.rateLimitBody);
    });

    it('`times` limits a fault to the next N requests', async () => {
      sim.fault(c.route, { mode: 'error' }, { times: 2 });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await c.hit(sim)).status);
      expect(statuses).toEqual([500, 500, 200]);
    });

    it("'*' faults every route; a route's own fault wins over it; clearFaults ends both", async () => {
      sim.fault('*', { mode: 'rate-limit' });
      sim.fault(c.route, { mode: 'error' });
      expect((await c.other.hit(sim)).status).toBe(429);
      expect((await c.hit(sim)).status).toBe(500);
      sim.clearFaults();
      expect((await c.hit(sim)).status).toBe(200);
    });

    it('rejects an unknown route template and a bad `times`', () => {
      expect(() => sim.fault('GET /nope', { mode: 'error' })).toThrow(RangeError);
      expect(() => sim.fault(c.route, { mode: 'error' }, { times: 0 })).toThrow(RangeError);
    });
  });

  describe('counters', () => {
    it('counts per route template on arrival, including 401s and faulted requests', async () => {
      await c.hit(sim);
      sim.fault(c.route, { mode: 'error' }, { times: 1 });
      await c.hit(sim);
      await call(`${sim.url}/no-such-route`);
      const unauthenticated = await call(
        c.name === 'Octopus' ? `${sim.url}/api/users/Users-1/apikeys` : `${sim.url}/api-key`,
      );
      expect(unauthenticated.status).toBe(401);
      await c.other.hit(sim);

      expect(sim.requests(c.route)).toBe(3);
      expect(sim.requests(c.other.route)).toBe(1);
      expect(sim.requests()).toBe(5); // every request, unknown routes included
      expect(() => sim.requests('GET /typo')).toThrow(RangeError);

      sim.resetCounts();
      expect(sim.requests()).toBe(0);
      expect(sim.requests(c.route)).toBe(0);
    });
  });

  describe('latency', () => {
    it('delays every answer by the configured latency (on a fake clock)', async () => {
      fakeClock();
      sim.setLatency(120);
      const pending = watch(c.hit(sim));
      // Counted on arrival, and the latency timer starts in the same turn.
      await until(() => sim.requests(c.route) === 1, 'the request to arrive');
      vi.advanceTimersByTime(119);
      await sleep(20); // real time: the simulator could answer now, if it did not wait for the clock
      expect(pending.settled).toBe(false);
      vi.advanceTimersByTime(1);
      expect((await pending.promise).status).toBe(200);

      sim.setLatency(0);
      expect((await c.hit(sim)).status).toBe(200); // answers while the fake clock stands still
      expect(() => sim.setLatency(-1)).toThrow(RangeError);
    });
  });

  describe('hold()', () => {
    it('keeps requests in flight until release(), counted on arrival, then answers them as usual', async () => {
      const held = sim.hold(c.route);
      const pending = [c.hit(sim), c.hit(sim)].map(watch);
      await held.arrivals(2);
      expect(sim.requests(c.route)).toBe(2);
      expect(held.waiting).toBe(2);
      await c.other.hit(sim); // other routes are not held
      expect(pending.map((p) => p.settled)).toEqual([false, false]);
      held.release();
      expect((await Promise.all(pending.map((p) => p.promise))).map((r) => r.status)).toEqual([200, 200]);
      expect(held).toMatchObject({ waiting: 0, maxWaiting: 2 });
      expect((await c.hit(sim)).status).toBe(200); // no longer held
      held.release(); // idempotent
    });

    it("'*' holds every route; a released request still gets its fault", async () => {
      const otherStatus = (await c.other.hit(sim)).status;
      const held = sim.hold('*');
      sim.fault(c.route, { mode: 'error' }, { times: 1 });
      const pending = [c.hit(sim), c.other.hit(sim)].map(watch);
      await held.arrivals(2);
      expect(pending.map((p) => p.settled)).toEqual([false, false]);
      held.release();
      expect((await Promise.all(pending.map((p) => p.promise))).map((r) => r.status)).toEqual([500, otherStatus]);
      expect(() => sim.hold('GET /nope')).toThrow(RangeError);
    });

    it('close() ends held requests; `await using` closes the simulator', async () => {
      let url: string;
      let pending: Watched<Res>;
      {
        await using scoped = await c.start();
        url = scoped.url;
        const held = scoped.hold(c.route);
        pending = watch(c.hit(scoped));
        await held.arrived;
      }
      await expect(pending.promise).rejects.toThrow(TypeError);
      await expect(fetch(url)).rejects.toThrow(TypeError); // no longer listening
    });
  });

  describe('close()', () => {
    it('ends a hanging request at once and stops listening', async () => {
      sim.fault(c.route, { mode: 'hang' });
      const pending = c.hit(sim);
      pending.catch(() => undefined); // asserted below
      await until(() => sim.requests(c.route) === 1, 'the request to arrive');

      await sim.close(); // would wait forever for the hanging request if it did not end it
      await expect(pending).rejects.toThrow(TypeError);
      await expect(c.hit(sim)).rejects.toThrow(TypeError); // refused
      await sim.close(); // idempotent
    });

    it('also ends a request that is still waiting out its latency', async () => {
      sim.setLatency(60_000);
      const pending = c.hit(sim);
      pending.catch(() => undefined);
      await until(() => sim.requests(c.route) === 1, 'the request to arrive');
      await sim.close();
      await expect(pending).rejects.toThrow(TypeError);
    });
  });
});

describe('simulator options', () => {
  it('starts with latencyMs and on an explicit host', async () => {
    fakeClock();
    await using sim = await startHyperstackSimulator({ host: '127.0.0.1', latencyMs: 80 });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const pending = watch(call(`${sim.url}/api-key`, { headers: { api_key: sim.credentials[0] ?? '' } }));
    await until(() => sim.requests('GET /v1/api-key') === 1, 'the request to arrive');
    vi.advanceTimersByTime(79);
    await sleep(20);
    expect(pending.settled).toBe(false);
    vi.advanceTimersByTime(1);
    expect((await pending.promise).status).toBe(200);
  });
});
