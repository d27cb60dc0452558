// Raw-HTTP tests of the provider simulators (src/simulators): what a client sees on the wire.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  GOVERNANCE_KEY_IDS,
  demoOctopusUsers,
  governanceOctopusUsers,
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
            // Fixed secrets: a random hint could contain a needle the filter tests search for.
            { purpose: 'GitHub Actions deploy', created: '2026-01-10T12:00:00Z', expires: '2026-07-09T12:00:00Z', secret: 'API-GHA00000000000000000000001' },
            { purpose: 'Terraform provider', created: '2025-12-01T08:30:00Z', expires: '2026-03-05T08:30:00Z', secret: 'API-TFP00000000000000000000001' },
            { purpose: 'terraform state sync', created: '2025-12-01T08:30:00Z', expires: null, secret: 'API-TSS00000000000000000000001' },
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
        Template: '/api/users/Users-1/apikeys{?skip,take,partialPurpose,partialKeyword}',
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

  // ---- 2026 read fields, ActorType, last use ------------------------------------------------
  describe('2026 read fields', () => {
    const DAN_SECRET = 'API-DAN00000000000000000000001';
    const seedWithFields = (): OctopusSimulatorOptions['users'] => [
      {
        id: 'Users-1',
        username: 'ada',
        displayName: 'Ada',
        isAdmin: true,
        keys: [{ purpose: 'CLI', created: '2026-02-20T09:00:00Z', expires: '2026-08-19T09:00:00Z', secret: ADA_SECRET }],
      },
      {
        id: 'Users-4',
        username: 'dan',
        displayName: 'Dan',
        keys: [
          { purpose: 'grafana', created: '2026-02-01T00:00:00Z', accessLevel: 'ReadOnly', lastUsed: '2026-02-28T12:00:00Z' },
          { purpose: 'copilot', created: '2026-01-01T00:00:00Z', accessLevel: 'Custom', actorType: 'AiAgent' },
          { purpose: 'ancient', created: '2019-01-01T00:00:00Z', lastUsedKnown: false, lastUsed: '2020-01-01T00:00:00Z', secret: DAN_SECRET },
        ],
      },
    ];

    it('seed keys set AccessLevel, ActorType and last use; list and get write them', async () => {
      await sim.close();
      await start({ users: seedWithFields() });
      const res = await list('/api/users/Users-4/apikeys');
      const fields = (k: Body) => [k.Purpose, k.AccessLevel, k.ActorType, k.IsLastUsedTimestampKnown, k.LastUsedTimeStamp];
      expect(res.body.Items.map(fields)).toEqual([
        ['grafana', 'ReadOnly', 'User', true, '2026-02-28T12:00:00.000+00:00'],
        ['copilot', 'Custom', 'AiAgent', true, null],
        // Not known: no timestamp, even though the seed named one.
        ['ancient', 'FullAccess', 'User', false, null],
      ]);
      for (const item of res.body.Items) {
        expect((await call(`${base}/users/Users-4/apikeys/${item.Id}`, { headers: ada })).body).toEqual(item);
      }
    });

    it('a key that authenticates a request gets LastUsedTimeStamp (and becomes known) at that moment', async () => {
      await sim.close();
      await start({ users: seedWithFields() });
      clock = new Date('2026-03-02T08:00:00.000Z');
      expect((await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': DAN_SECRET } })).status).toBe(200);
      clock = new Date('2026-03-03T08:00:00.000Z');
      const ancient = (await list('/api/users/Users-4/apikeys')).body.Items.find((k: Body) => k.Purpose === 'ancient');
      expect(ancient).toMatchObject({ IsLastUsedTimestampKnown: true, LastUsedTimeStamp: '2026-03-02T08:00:00.000+00:00' });
    });

    it('an expired key that is refused is not counted as used', async () => {
      expect((await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': BOB_EXPIRED } })).status).toBe(401);
      expect(sim.keysOf('Users-2').find((k) => k.purpose === 'Old key')).toMatchObject({ lastUsedKnown: true, lastUsed: null });
    });

    it('create takes ActorType (default User, or AiAgent) and answers with it; the list agrees', async () => {
      const agent = await create({ Purpose: 'release assistant', ActorType: 'AiAgent' });
      expect(agent.status).toBe(200);
      expect(agent.body).toMatchObject({ ActorType: 'AiAgent', IsLastUsedTimestampKnown: true, LastUsedTimeStamp: null });
      expect(agent.body).not.toHaveProperty('AccessLevel'); // read models only (contract §3.1)
      expect((await create({ Purpose: 'plain' })).body.ActorType).toBe('User');
      const listed = (await list('/api/users/Users-1/apikeys?partialPurpose=release')).body.Items;
      expect(listed).toEqual([expect.objectContaining({ Id: agent.body.Id, ActorType: 'AiAgent', AccessLevel: 'FullAccess' })]);
    });

    it.each([['Robot'], ['aiagent'], [null], [1]])('rejects ActorType %j with 400', async (actorType) => {
      const res = await create({ Purpose: 'x', ActorType: actorType });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ ErrorMessage: 'There was a problem with your request.', Errors: ["ActorType must be 'User' or 'AiAgent'."] });
      expect(sim.keysOf('Users-1')).toHaveLength(4);
    });

    it("readFields '2021' writes the 2021.2 shape and ignores ActorType on create, as an older server does", async () => {
      await sim.close();
      await start({ users: seedWithFields(), readFields: '2021' });
      const NEW = ['AccessLevel', 'ActorType', 'IsLastUsedTimestampKnown', 'LastUsedTimeStamp'];
      const listed = await list('/api/users/Users-4/apikeys');
      const got = await call(`${base}/users/Users-4/apikeys/${listed.body.Items[0].Id}`, { headers: ada });
      const created = await create({ Purpose: 'agent?', ActorType: 'Robot' }); // not validated either: unknown property
      expect(created.status).toBe(200);
      for (const body of [...listed.body.Items, got.body, created.body]) {
        for (const field of NEW) expect(body).not.toHaveProperty(field);
        expect(Object.keys(body)).toEqual(expect.arrayContaining(['Id', 'UserId', 'Purpose', 'ApiKey', 'Created', 'Expires', 'Links']));
      }
      expect(sim.keysOf('Users-1')[0]).toMatchObject({ purpose: 'agent?', actorType: 'User' });
    });
  });

  // ---- listing: order, filters, paging ------------------------------------------------------
  describe('list filters and order', () => {
    it('partialKeyword matches Purpose or the hint, case-insensitively; TotalResults counts the matches', async () => {
      const byHint = await list('/api/users/Users-1/apikeys?partialKeyword=api-ada');
      expect(byHint.body.TotalResults).toBe(1);
      expect(byHint.body.Items.map((k: Body) => k.Purpose)).toEqual(['CLI on laptop']);

      const byPurpose = await list('/api/users/Users-1/apikeys?partialKeyword=DEPLOY');
      expect(byPurpose.body.Items.map((k: Body) => k.Purpose)).toEqual(['GitHub Actions deploy']);

      // Both filters: a key must match both.
      const both = await list('/api/users/Users-1/apikeys?partialPurpose=terra&partialKeyword=state');
      expect(both.body.Items.map((k: Body) => k.Purpose)).toEqual(['terraform state sync']);
      expect(both.body.TotalResults).toBe(1);
    });

    it('filters before paging: skip/take walk the matches, and the links keep both filters', async () => {
      const filtered = (await list('/api/users/Users-1/apikeys?partialPurpose=terraform')).body.Items.map((k: Body) => k.Id);
      expect(filtered).toHaveLength(2);
      const second = await list('/api/users/Users-1/apikeys?partialPurpose=terraform&partialKeyword=r&skip=1&take=1');
      expect(second.body).toMatchObject({ TotalResults: 2, ItemsPerPage: 1, NumberOfPages: 2, LastPageNumber: 1 });
      expect(second.body.Items.map((k: Body) => k.Id)).toEqual([filtered[1]]);
      expect(second.body.Links).not.toHaveProperty('Page.Next');
      const first = await list('/api/users/Users-1/apikeys?partialPurpose=terraform&partialKeyword=r&take=1');
      expect(first.body.Links['Page.Next']).toBe('/api/users/Users-1/apikeys?skip=1&take=1&partialPurpose=terraform&partialKeyword=r');
      expect(first.body.Links['Page.Last']).toBe('/api/users/Users-1/apikeys?skip=1&take=1&partialPurpose=terraform&partialKeyword=r');
    });

    it('an empty filter value filters nothing', async () => {
      expect((await list('/api/users/Users-1/apikeys?partialPurpose=&partialKeyword=')).body.TotalResults).toBe(4);
    });

    it('listFilters: [] ignores both filters, as a 2021 server does, and leaves them out of the links', async () => {
      await sim.close();
      await start({ listFilters: [] });
      const res = await list('/api/users/Users-1/apikeys?partialPurpose=terra&partialKeyword=x&take=1');
      expect(res.body.TotalResults).toBe(4);
      expect(res.body.Links.Template).toBe('/api/users/Users-1/apikeys{?skip,take}');
      expect(res.body.Links['Page.Next']).toBe('/api/users/Users-1/apikeys?skip=1&take=1');
    });

    it('keeps newest-first order through creates, test-added keys of any age, and deletes', async () => {
      const purposes = async () => (await list('/api/users/Users-1/apikeys')).body.Items.map((k: Body) => k.Purpose);
      await create({ Purpose: 'made now' });
      sim.addKey('Users-1', { purpose: 'from January', created: '2026-01-15T00:00:00Z' });
      sim.addKey('Users-1', { purpose: 'from the future', created: '2026-04-01T00:00:00Z' });
      const tie = sim.addKey('Users-1', { purpose: 'tie', created: '2025-12-01T08:30:00Z', id: 'apikeys-00000000000000000000000000' });
      const listed = await purposes();
      expect(listed.slice(0, 5)).toEqual(['from the future', 'made now', 'CLI on laptop', 'from January', 'GitHub Actions deploy']);
      expect(listed[5]).toBe('tie'); // equal Created: lowest Id first
      expect(sim.removeKey(tie.id)).toBe(true);
      expect(await purposes()).toHaveLength(7);
      expect((await purposes()).includes('tie')).toBe(false);
    });

    it('lists past the last page as empty, with no Page.Next', async () => {
      const res = await list('/api/users/Users-1/apikeys?skip=10&take=3');
      expect(res.body).toMatchObject({ TotalResults: 4, Items: [], NumberOfPages: 2, LastPageNumber: 1 });
      expect(res.body.Links).not.toHaveProperty('Page.Next');
    });
  });

  // ---- the whole instance -------------------------------------------------------------------
  describe('whole instance', () => {
    const instance = (): OctopusSimulatorOptions['users'] => [
      {
        id: 'Users-1',
        username: 'ada',
        displayName: 'Ada',
        isAdmin: true,
        keys: [{ purpose: 'CLI', created: '2026-02-20T09:00:00Z', expires: '2026-08-19T09:00:00Z', secret: ADA_SECRET }],
      },
      { id: 'Users-2', username: 'Zed', displayName: 'Zed', keys: [{ purpose: 'z', created: '2026-01-01T00:00:00Z', secret: BOB_EXPIRED }] },
      { id: 'Users-3', username: 'svc-ci', displayName: 'CI robot', isService: true, keys: [{ purpose: 'ci', created: '2026-01-02T00:00:00Z' }] },
      { id: 'Users-4', username: 'vault', displayName: 'Vault', isService: true, keysForbidden: true, keys: [{ purpose: 'v', created: '2026-01-03T00:00:00Z' }] },
      { id: 'Users-5', username: 'gone', displayName: 'Left the company', isActive: false, emailAddress: 'gone@corp.example', keys: [{ purpose: 'g', created: '2026-01-04T00:00:00Z' }] },
    ];
    beforeEach(async () => {
      await sim.close();
      await start({ users: instance() });
    });

    it('GET /api/users: every user, sorted by username, as a ResourceCollection of UserResource', async () => {
      const res = await list('/api/users');
      expect(res.status).toBe(200);
      const { Items: items, ...page } = res.body;
      expect(page).toEqual({
        ItemType: 'User',
        TotalResults: 5,
        ItemsPerPage: 30,
        NumberOfPages: 1,
        LastPageNumber: 0,
        Links: {
          Self: '/api/users?skip=0&take=30',
          Template: '/api/users{?skip,take}',
          'Page.All': '/api/users?skip=0&take=2147483647',
          'Page.Current': '/api/users?skip=0&take=30',
          'Page.Last': '/api/users?skip=0&take=30',
        },
      });
      expect(items.map((u: Body) => u.Username)).toEqual(['ada', 'gone', 'svc-ci', 'vault', 'Zed']);
      expect(items.find((u: Body) => u.Id === 'Users-3')).toEqual({
        Id: 'Users-3',
        Username: 'svc-ci',
        DisplayName: 'CI robot',
        IsActive: true,
        IsService: true,
        EmailAddress: null, // service accounts have none
        Links: { Self: '/api/users/Users-3', ApiKeys: '/api/users/Users-3/apikeys{/id}{?skip,take}' },
      });
      expect(items.find((u: Body) => u.Id === 'Users-5')).toMatchObject({ IsActive: false, IsService: false, EmailAddress: 'gone@corp.example' });
    });

    it('pages users with skip/take', async () => {
      const seen: string[] = [];
      let next: string | undefined = '/api/users?take=2';
      let pages = 0;
      while (next) {
        const page: Res = await list(next);
        expect(page.body).toMatchObject({ TotalResults: 5, ItemsPerPage: 2, NumberOfPages: 3, LastPageNumber: 2 });
        seen.push(...page.body.Items.map((u: Body) => u.Username));
        next = page.body.Links['Page.Next'];
        pages += 1;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(['ada', 'gone', 'svc-ci', 'vault', 'Zed']);
      expect((await list('/api/users?take=x')).status).toBe(400);
    });

    it('GET /api/users is for admins: anyone else gets 403, no credential 401', async () => {
      const svc = { 'X-Octopus-ApiKey': sim.addKey('Users-3', { purpose: 'probe' }).secret };
      const res = await list('/api/users', svc);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        ErrorMessage: 'You do not have permission to perform this action. Please contact your Octopus administrator. Missing permission: UserView',
      });
      expect((await list('/api/users', {})).status).toBe(401);
    });

    it("keysForbidden: every route of that user's keys answers 403 to the admin, and works for the user", async () => {
      const [vaultKey] = sim.keysOf('Users-4');
      const attempts = [
        call(`${base}/users/Users-4/apikeys`, { headers: ada }),
        call(`${base}/users/Users-4/apikeys/${vaultKey?.id}`, { headers: ada }),
        create({ Purpose: 'rotate' }, 'Users-4', ada),
        call(`${base}/users/Users-4/apikeys/${vaultKey?.id}`, { method: 'DELETE', headers: ada }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(403);
        expect(res.body.ErrorMessage).toMatch(/^You do not have permission/);
      }
      // The other users' keys still read fine, and the user reads their own.
      expect((await list('/api/users/Users-3/apikeys')).status).toBe(200);
      const own = { 'X-Octopus-ApiKey': sim.addKey('Users-4', { purpose: 'own' }).secret };
      expect((await list('/api/users/Users-4/apikeys', own)).body.TotalResults).toBe(2);
      expect(sim.keysOf('Users-4')).toHaveLength(2);
    });

    it("an inactive user's keys authenticate nothing, and give no credential", async () => {
      expect(sim.credentials).not.toHaveProperty('Users-5');
      const { secret } = sim.addKey('Users-5', { purpose: 'still here' });
      expect((await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': secret } })).status).toBe(401);
      expect((await list('/api/users/Users-5/apikeys')).body.TotalResults).toBe(2); // the admin still sees them
    });
  });

  // ---- test controls --------------------------------------------------------------------------
  describe('test controls', () => {
    it('addKey: the key is listed in its place, its secret authenticates once returned, and never shows again', async () => {
      const added = sim.addKey('Users-2', {
        purpose: 'added by a test',
        created: '2026-02-15T00:00:00Z',
        expires: '2026-05-01T00:00:00Z',
        accessLevel: 'ReadOnly',
        actorType: 'AiAgent',
      });
      expect(added).toEqual({ id: expect.stringMatching(/^apikeys-[0-9A-Za-z]{26}$/), secret: expect.stringMatching(/^API-[A-Z0-9]{26}$/) });
      expect((await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': added.secret } })).body.Id).toBe('Users-2');
      const listed = await list('/api/users/Users-2/apikeys');
      expect(listed.text).not.toContain(added.secret);
      expect(listed.body.Items[0]).toMatchObject({
        Id: added.id,
        Purpose: 'added by a test',
        Created: '2026-02-15T00:00:00.000+00:00',
        Expires: '2026-05-01T00:00:00.000+00:00',
        AccessLevel: 'ReadOnly',
        ActorType: 'AiAgent',
        LastUsedTimeStamp: octoDate(START),
        ApiKey: { Hint: added.secret.slice(0, 8) },
      });
      // Defaults: created now, never expires, with a given id and secret.
      const fixed = sim.addKey('Users-3', { purpose: 'fixed', id: 'apikeys-Fixed000000000000000000001', secret: 'API-FIXED0000000000000000000001' });
      expect(fixed).toEqual({ id: 'apikeys-Fixed000000000000000000001', secret: 'API-FIXED0000000000000000000001' });
      expect(sim.keysOf('Users-3')).toEqual([
        {
          id: fixed.id,
          userId: 'Users-3',
          purpose: 'fixed',
          hint: 'API-FIXE',
          created: START,
          expires: null,
          accessLevel: 'FullAccess',
          actorType: 'User',
          lastUsedKnown: true,
          lastUsed: null,
        },
      ]);
    });

    it('addKey refuses an unknown user, a duplicate id and a bad enum value', () => {
      expect(() => sim.addKey('Users-9', { purpose: 'x' })).toThrow(/no user Users-9/);
      const { id } = sim.addKey('Users-3', { purpose: 'x' });
      expect(() => sim.addKey('Users-3', { purpose: 'y', id })).toThrow(/duplicate key id/);
      expect(() => sim.addKey('Users-3', { purpose: 'y', accessLevel: 'Admin' as never })).toThrow(RangeError);
      expect(() => sim.keysOf('Users-9')).toThrow(/no user Users-9/);
    });

    it('removeKey: gone from the list and get, no longer a credential; false the second time', async () => {
      const { id, secret } = sim.addKey('Users-1', { purpose: 'doomed' });
      expect(sim.removeKey(id)).toBe(true);
      expect(sim.removeKey(id)).toBe(false);
      expect((await call(`${base}/users/me`, { headers: { 'X-Octopus-ApiKey': secret } })).status).toBe(401);
      expect((await call(`${base}/users/Users-1/apikeys/${id}`, { headers: ada })).status).toBe(404);
      expect((await list('/api/users/Users-1/apikeys')).body.TotalResults).toBe(4);
    });

    it('changes between two page fetches show in the next page, as on a real server (offsets shift)', async () => {
      const first = (await list('/api/users/Users-1/apikeys?take=2')).body;
      const lastOfFirst = first.Items[1].Id;
      const added = sim.addKey('Users-1', { purpose: 'newest, added between pages' }); // created now: goes to the top
      const second = (await list(first.Links['Page.Next'])).body;
      expect(second.Items[0].Id).toBe(lastOfFirst); // seen twice by a client that pages by offset
      expect(second.TotalResults).toBe(5);

      const thirdKey = second.Items[1].Id;
      sim.removeKey(added.id);
      sim.removeKey(lastOfFirst);
      const again = (await list(first.Links['Page.Next'])).body;
      expect(again.TotalResults).toBe(3);
      expect(again.Items.map((k: Body) => k.Id)).not.toContain(thirdKey); // it slid into the first page: unseen by that client
      expect(again.Items).toHaveLength(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('Octopus seeds and governance risks', () => {
  const NOW = new Date('2026-03-01T12:00:00.000Z');
  const RISKS = ['expired', 'expiresWithin3Days', 'neverExpires', 'old', 'unused', 'readOnly', 'aiAgent'] as const;

  /** The risks a listed key shows, by the rules of the issues: 90 days for old and unused. */
  function risks(key: Body): string[] {
    const days = (iso: string) => (Date.parse(iso) - NOW.getTime()) / DAY;
    const found: string[] = [];
    if (key.Expires !== null && days(key.Expires) <= 0) found.push('expired');
    if (key.Expires !== null && days(key.Expires) > 0 && days(key.Expires) <= 3) found.push('expiresWithin3Days');
    if (key.Expires === null) found.push('neverExpires');
    if (days(key.Created) < -90) found.push('old');
    if (key.IsLastUsedTimestampKnown && (key.LastUsedTimeStamp === null || days(key.LastUsedTimeStamp) < -90)) found.push('unused');
    if (key.AccessLevel === 'ReadOnly') found.push('readOnly');
    if (key.ActorType === 'AiAgent') found.push('aiAgent');
    return found;
  }

  /** Every key of every user, read over HTTP as the admin: GET /api/users, then each user's keys. */
  async function everyKey(sim: OctopusSimulator, adminId: string): Promise<Body[]> {
    const headers = { 'X-Octopus-ApiKey': sim.credentials[adminId] ?? '' };
    const users = (await call(`${sim.url}/api/users`, { headers })).body.Items;
    const keys: Body[] = [];
    for (const user of users) keys.push(...(await call(`${sim.url}/api/users/${user.Id}/apikeys`, { headers })).body.Items);
    return keys;
  }

  it('the demo seed shows every risk, on users other than Maria, whose keys keep their ids', async () => {
    const demo = demoOctopusUsers(NOW);
    const sim = await startOctopusSimulator({ users: demo, now: () => NOW });
    try {
      const keys = await everyKey(sim, 'Users-1');
      for (const risk of RISKS) {
        expect(keys.filter((k) => k.UserId !== 'Users-1' && risks(k).includes(risk)), risk).not.toEqual([]);
      }
      expect(keys.filter((k) => k.UserId === 'Users-1').map((k) => k.Id)).toEqual([
        'apikeys-MariaCliLaptop00000000001',
        'apikeys-MariaGithubActions00000002',
        'apikeys-MariaTerraform00000000003',
      ]);
      const users = (await call(`${sim.url}/api/users`, { headers: { 'X-Octopus-ApiKey': sim.credentials['Users-1'] ?? '' } })).body.Items;
      expect(users.filter((u: Body) => u.IsService).map((u: Body) => u.Username)).toEqual(['svc-backup', 'svc-release-assistant']);
      // Every user can sign in: each has a live key, reported as a credential.
      expect(Object.keys(sim.credentials).sort()).toEqual(demo.map((u) => u.id).sort());
    } finally {
      await sim.close();
    }
  });

  it('the governance seed has one key per risk, each showing that risk alone where it can', async () => {
    const sim = await startOctopusSimulator({ users: governanceOctopusUsers(NOW), now: () => NOW });
    try {
      const byId = new Map((await everyKey(sim, 'Users-1')).map((k) => [k.Id, risks(k)]));
      expect(Object.fromEntries(Object.entries(GOVERNANCE_KEY_IDS).map(([name, id]) => [name, byId.get(id)]))).toEqual({
        healthy: [],
        expired: ['expired'],
        expiresIn3Days: ['expiresWithin3Days'],
        neverExpires: ['neverExpires'],
        old: ['old'],
        neverUsed: ['unused'],
        unusedFor120Days: ['old', 'unused'], // last used 120 days ago: created before that
        lastUseUnknown: [],
        readOnly: ['readOnly'],
        aiAgent: ['aiAgent'],
      });
      expect(Object.keys(sim.credentials).sort()).toEqual(['Users-1', 'Users-2', 'Users-3']);
    } finally {
      await sim.close();
    }
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

  describe('access tokens (contract §4)', () => {
    const bearer = (user: number) => ({ Authorization: `Bearer ${sim.accessTokens[user] ?? ''}` });
    const UNAUTHORIZED = { status: false, message: expect.any(String), error_reason: 'unauthorized' };

    it('gives each seeded user an opaque access token, distinct from their keys', () => {
      expect(sim.accessTokens).toHaveLength(2);
      expect(new Set(sim.accessTokens).size).toBe(2);
      for (const token of sim.accessTokens) {
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(sim.credentials).not.toContain(token);
      }
    });

    it('by default, every route takes `Authorization: Bearer <token>` as that user (scheme in any case)', async () => {
      expect((await keysOf(bearer(1))).map((k: Body) => k.name)).toEqual(['notebook']);
      expect((await keysOf({ Authorization: `bearer ${sim.accessTokens[0]}` })).map((k: Body) => k.id)).toEqual([58, 59]);
      const made = await generate({ name: 'by-token' }, bearer(1));
      expect(made.status).toBe(200);
      expect((await keysOf(bob)).map((k: Body) => k.name)).toEqual(['notebook', 'by-token']);
      expect((await update(made.body.api_key.id, { name: 'renamed' }, bearer(1))).status).toBe(200);
      expect((await remove(made.body.api_key.id, bearer(1))).status).toBe(200);
      // …and generate still takes api_key, as today's SDKs send it.
      expect((await generate({ name: 'by-key' })).status).toBe(200);
    });

    it('a request with Authorization is judged by it alone: a bare token, an API key or an unknown token is 401', async () => {
      const bad: Record<string, string>[] = [
        { Authorization: sim.accessTokens[0] ?? '' }, // no "Bearer": refused
        { Authorization: `Bearer ${ADA}` }, // an API key is not an access token
        { Authorization: 'Bearer nope', api_key: ADA }, // a valid api_key does not rescue a bad token
        { Authorization: 'Basic YWRhOnB3' },
        { Authorization: '' },
      ];
      for (const headers of bad) {
        const res = await call(`${sim.url}/api-key`, { headers });
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.body).toEqual(UNAUTHORIZED);
      }
    });

    it('takes the token from the seed, and refuses a token two users share', async () => {
      await sim.close();
      await start({
        users: [
          { name: 'ada', accessToken: 'ada-session-token', keys: [{ name: 'k', createdAt: '2026-01-01T00:00:00Z', secret: ADA }] },
          { name: 'bob', keys: [{ name: 'k', createdAt: '2026-01-01T00:00:00Z', secret: BOB }] },
        ],
      });
      expect(sim.accessTokens[0]).toBe('ada-session-token');
      expect((await keysOf({ Authorization: 'Bearer ada-session-token' })).map((k: Body) => k.id)).toEqual([58]);
      const twice = { name: 'x', accessToken: 'same', keys: [{ name: 'k', createdAt: '2026-01-01T00:00:00Z' }] };
      await expect(startHyperstackSimulator({ users: [twice, { ...twice, name: 'y' }] })).rejects.toThrow(/already in use/);
      await expect(startHyperstackSimulator({ users: [{ ...twice, accessToken: 'two words' }] })).rejects.toThrow(/one word/);
    });

    describe('strictSeedAuth', () => {
      beforeEach(async () => {
        await sim.close();
        await start({ strictSeedAuth: true });
      });

      it('generate refuses api_key with 401 in the envelope and creates nothing; the access token works', async () => {
        const refused = await generate({ name: 'by-key' });
        expect(refused.status).toBe(401);
        expect(refused.body).toEqual({ status: false, message: 'Access token is required', error_reason: 'unauthorized' });
        expect(await keysOf(ada)).toHaveLength(2);
        const made = await generate({ name: 'by-token', description: 'seed-conformant' }, bearer(0));
        expect(made.status).toBe(200);
        expect(made.body.api_key).toMatchObject({ id: 61, name: 'by-token', key: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      });

      it('list, update and delete take either scheme', async () => {
        expect((await keysOf(ada)).map((k: Body) => k.id)).toEqual([58, 59]);
        expect((await keysOf(bearer(0))).map((k: Body) => k.id)).toEqual([58, 59]);
        expect((await update(59, { name: 'tf' })).status).toBe(200);
        expect((await update(59, { name: 'tf2' }, bearer(0))).status).toBe(200);
        const made = await generate({ name: 'temp' }, bearer(0));
        expect((await remove(made.body.api_key.id)).status).toBe(200);
        expect((await remove(59, bearer(0))).status).toBe(200);
      });

      it('keeps 409 for a taken name on generate and on rename, whichever credential', async () => {
        const taken = await generate({ name: 'ci-runner' }, bearer(0));
        expect(taken.status).toBe(409);
        expect(taken.body).toEqual({ status: false, message: expect.any(String), error_reason: 'already_exist' });
        expect((await update(59, { name: 'ci-runner' }, bearer(0))).status).toBe(409);
        expect((await update(59, { name: 'ci-runner' })).status).toBe(409);
      });
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
