// The whole-list walk when the list changes between page requests: no key that exists throughout is
// ever read twice or missed. Real HTTP to the simulator; the list is changed between page fetches.
import { describe, expect, it, onTestFinished } from 'vitest';
import { startOctopusSimulator } from '../src/simulators/index.js';
import { UpstreamError } from '../src/upstream/errors.js';
import { walkNewestFirst } from '../src/upstream/octopus-walk.js';
import { OctopusClient, type Page } from '../src/upstream/octopus.js';
import type { OctopusApiKey } from '../src/domain.js';
import { testUpstreams } from './support/upstreams.js';

async function setup(keys = 20) {
  const sim = await startOctopusSimulator({
    users: [{ id: 'Users-1', username: 'admin', displayName: 'Admin', isAdmin: true, keys: [{ purpose: 'credential', created: new Date(Date.UTC(2020, 0, 1)) }], bulkKeys: keys }],
  });
  const upstreams = testUpstreams({ octopus: sim });
  onTestFinished(async () => {
    await upstreams.close();
    await sim.close();
  });
  const client = new OctopusClient(upstreams.octopus!, 'default', sim.credentials['Users-1']!);
  return { sim, client };
}

/** Pages from the simulator; `between(n)` runs after the n-th page request has been answered. */
function pages(client: OctopusClient, between: (n: number) => void = () => {}) {
  let n = 0;
  const fetchPage = async (skip: number, take: number): Promise<Page<OctopusApiKey>> => {
    const page = await client.listKeys('Users-1', { skip, take });
    between(++n);
    return page;
  };
  return { fetchPage, count: () => n };
}

const ids = (keys: { id: string }[]) => keys.map((k) => k.id);

function expectEachOnce(walked: OctopusApiKey[], lasting: string[]) {
  expect(new Set(ids(walked)).size).toBe(walked.length);
  for (const id of lasting) expect(ids(walked)).toContain(id);
}

describe('walkNewestFirst', () => {
  it('reads a list that does not change in ceil(total / size) requests, newest first', async () => {
    const { sim, client } = await setup(20);
    const { fetchPage, count } = pages(client);
    const walked = await walkNewestFirst(fetchPage, { pageSize: 5, parallel: 4, maxItems: 1000, what: 'keys' });
    expect(ids(walked)).toEqual(ids(sim.keysOf('Users-1')));
    expect(count()).toBe(5); // 21 keys: 5 pages
  });

  it.each([1, 4])('a key created between two page requests is neither duplicated nor the cause of a skip (parallel %i)', async (parallel) => {
    const { sim, client } = await setup(20);
    const lasting = ids(sim.keysOf('Users-1'));
    // A new key goes on top after the first page: every later page shifts down by one.
    const { fetchPage } = pages(client, (n) => n === 1 && sim.addKey('Users-1', { purpose: 'arrived mid-walk' }));
    const walked = await walkNewestFirst(fetchPage, { pageSize: 5, parallel, maxItems: 1000, what: 'keys' });
    expectEachOnce(walked, lasting);
  });

  it.each([1, 4])('a key revoked between two page requests causes no skip of the keys that remain (parallel %i)', async (parallel) => {
    const { sim, client } = await setup(20);
    const all = ids(sim.keysOf('Users-1'));
    const gone = all[2]!; // on the first page: every later page shifts up by one
    const lasting = all.filter((id) => id !== gone);
    const { fetchPage } = pages(client, (n) => n === 1 && sim.removeKey(gone));
    const walked = await walkNewestFirst(fetchPage, { pageSize: 5, parallel, maxItems: 1000, what: 'keys' });
    expectEachOnce(walked, lasting);
    expect(ids(walked)).not.toContain(gone);
  });

  it('gives up with UPSTREAM_ERROR after a bounded number of re-reads when the list never holds still', async () => {
    const { sim, client } = await setup(20);
    const { fetchPage, count } = pages(client, (n) => sim.addKey('Users-1', { purpose: `churn ${n}` }));
    const error = await walkNewestFirst(fetchPage, { pageSize: 5, parallel: 1, maxItems: 1000, maxRestarts: 2, what: 'the API keys of Users-1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', message: expect.stringMatching(/kept changing/) });
    // Three attempts (two re-reads), each of a few more pages than the last as the list grows.
    expect(count()).toBeLessThanOrEqual(3 * 8);
  });

  it('refuses a list longer than maxItems before reading it', async () => {
    const { client } = await setup(20);
    const { fetchPage, count } = pages(client);
    await expect(walkNewestFirst(fetchPage, { pageSize: 5, parallel: 4, maxItems: 10, what: 'the API keys of Users-1' })).rejects.toThrow(
      /21, more than keygate holds in one list \(MAX_LIST_KEYS=10\)/,
    );
    expect(count()).toBe(1);
  });
});
