// The Octopus simulator at scale: one user with 100,000 keys (seeded with `bulkKeys`), listed page by page
// over raw HTTP. Speed is measured in the report, not asserted here; this proves the pages are right.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BULK_KEY_PURPOSES, startOctopusSimulator, type OctopusSimulator } from '../src/simulators/index.js';

const COUNT = 100_000;
const NOW = new Date('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;
const SECRET = 'API-BIG00000000000000000000001';
const octoDate = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
/** Bulk key i of the first seed user (see OctopusBulkKeys). */
const bulkId = (i: number) => `apikeys-Bulk0000${String(i).padStart(18, '0')}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are asserted field by field
type Body = any;

describe('Octopus simulator with 100,000 keys for one user', () => {
  let sim: OctopusSimulator;
  const get = async (path: string): Promise<Body> => {
    const res = await fetch(`${sim.url}${path}`, { headers: { 'X-Octopus-ApiKey': SECRET } });
    expect(res.status, path).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    sim = await startOctopusSimulator({
      now: () => NOW,
      users: [
        {
          id: 'Users-1',
          username: 'big',
          displayName: 'Big',
          isAdmin: true,
          // The credential, older than every bulk key: the last item of the last page.
          keys: [{ purpose: 'the credential', created: '2025-01-01T00:00:00Z', secret: SECRET }],
          bulkKeys: COUNT,
        },
      ],
    });
  });
  afterAll(() => sim?.close());

  it('lists the first page: the newest 30 keys, and the paging figures of 100,001', async () => {
    const page = await get('/api/users/Users-1/apikeys');
    expect(page).toMatchObject({ TotalResults: COUNT + 1, ItemsPerPage: 30, NumberOfPages: 3334, LastPageNumber: 3333 });
    expect(page.Items.map((k: Body) => k.Id)).toEqual(Array.from({ length: 30 }, (_, i) => bulkId(i)));
    expect(page.Items[1]).toEqual({
      Id: bulkId(1),
      UserId: 'Users-1',
      Purpose: `Bulk key 1: ${BULK_KEY_PURPOSES[1]}`,
      ApiKey: { HasValue: true, NewValue: null, Hint: 'API-0001' },
      Created: octoDate(NOW.getTime() - 2 * MINUTE), // key 0 is a minute before now, then one a minute
      Expires: octoDate(NOW.getTime() - 2 * MINUTE + 180 * 86_400_000),
      AccessLevel: 'FullAccess',
      ActorType: 'User',
      IsLastUsedTimestampKnown: true,
      LastUsedTimeStamp: null,
      Links: { Self: `/api/users/Users-1/apikeys/${bulkId(1)}` },
    });
    expect(page.Links['Page.Next']).toBe('/api/users/Users-1/apikeys?skip=30&take=30');
    expect(page.Links['Page.Last']).toBe('/api/users/Users-1/apikeys?skip=99990&take=30');
  });

  it('lists a page in the middle and the last page', async () => {
    const middle = await get('/api/users/Users-1/apikeys?skip=54321&take=3');
    expect(middle.Items.map((k: Body) => k.Id)).toEqual([bulkId(54321), bulkId(54322), bulkId(54323)]);
    expect(middle.Items[0].ApiKey.Hint).toBe(`API-${(54321).toString(36).toUpperCase()}`);

    const last = await get('/api/users/Users-1/apikeys?skip=99990&take=30');
    expect(last.Items.map((k: Body) => k.Id).slice(-2)).toEqual([bulkId(COUNT - 1), expect.stringMatching(/^apikeys-/)]);
    expect(last.Items.at(-1).Purpose).toBe('the credential');
    expect(last.Links).not.toHaveProperty('Page.Next');
  });

  it('filters all 100,000 before paging', async () => {
    const terraform = await get('/api/users/Users-1/apikeys?partialPurpose=TERRAFORM&skip=1&take=2');
    expect(terraform.TotalResults).toBe(COUNT / BULK_KEY_PURPOSES.length);
    expect(terraform.Items.map((k: Body) => k.Id)).toEqual([bulkId(6), bulkId(11)]);
    const byHint = await get(`/api/users/Users-1/apikeys?partialKeyword=api-${(77777).toString(36)}`);
    expect(byHint.Items.map((k: Body) => k.Id)).toEqual([bulkId(77777)]);
  });

  it('creates at the top and deletes from the middle', async () => {
    const res = await fetch(`${sim.url}/api/users/Users-1/apikeys`, {
      method: 'POST',
      headers: { 'X-Octopus-ApiKey': SECRET, 'content-type': 'application/json' },
      body: JSON.stringify({ Purpose: 'newest' }),
    });
    const created = (await res.json()) as Body;
    const deleted = await fetch(`${sim.url}/api/users/Users-1/apikeys/${bulkId(50_000)}`, { method: 'DELETE', headers: { 'X-Octopus-ApiKey': SECRET } });
    expect(deleted.status).toBe(200);
    const first = await get('/api/users/Users-1/apikeys?take=1');
    expect(first.Items[0].Id).toBe(created.Id);
    expect(first.TotalResults).toBe(COUNT + 1);
    const around = await get('/api/users/Users-1/apikeys?skip=50000&take=2'); // the new key shifted everything by one
    expect(around.Items.map((k: Body) => k.Id)).toEqual([bulkId(49_999), bulkId(50_001)]);
  });
});

describe('bulkKeys options', () => {
  it('takes the newest date, the interval, and keeps ids apart per seed user', async () => {
    const sim = await startOctopusSimulator({
      users: [
        { id: 'Users-1', username: 'a', displayName: 'A', isAdmin: true, keys: [{ purpose: 'cred', created: '2020-01-01T00:00:00Z', secret: SECRET }], bulkKeys: 2 },
        { id: 'Users-2', username: 'b', displayName: 'B', keys: [], bulkKeys: { count: 3, newest: '2026-01-01T00:00:00Z', intervalMs: 3_600_000 } },
      ],
    });
    try {
      expect(sim.keysOf('Users-2').map((k) => [k.id, k.created.toISOString()])).toEqual([
        ['apikeys-Bulk0001000000000000000000', '2026-01-01T00:00:00.000Z'],
        ['apikeys-Bulk0001000000000000000001', '2025-12-31T23:00:00.000Z'],
        ['apikeys-Bulk0001000000000000000002', '2025-12-31T22:00:00.000Z'],
      ]);
      expect(sim.keysOf('Users-1').map((k) => k.id).slice(0, 2)).toEqual([bulkId(0), bulkId(1)]);
      expect(sim.credentials).toEqual({ 'Users-1': SECRET }); // bulk keys have no known secret
    } finally {
      await sim.close();
    }
    await expect(
      startOctopusSimulator({ users: [{ id: 'Users-1', username: 'a', displayName: 'A', keys: [], bulkKeys: -1 }] }),
    ).rejects.toThrow(/bulkKeys count/);
  });
});
