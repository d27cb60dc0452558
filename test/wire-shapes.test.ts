// A 200 whose JSON is not the documented shape is the provider's fault: UPSTREAM_ERROR naming where
// the body went wrong, never a crash, a half-read key or a secret in the message. A loopback server
// answers each request with the body the test gives it.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { HyperstackClient } from '../src/upstream/hyperstack.js';
import { UpstreamHttp } from '../src/upstream/http.js';
import { OctopusClient } from '../src/upstream/octopus.js';
import { failure } from './support/failure.js';

let answer: unknown;
/** When set, what a GET gets instead (a create's answer, then the list it looks in). */
let listAnswer: unknown;
const server = createServer((req, res) => {
  req.resume();
  const body = req.method === 'GET' && listAnswer !== undefined ? listAnswer : answer;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
let octopus: OctopusClient;
let hyperstack: HyperstackClient;
const pools: UpstreamHttp[] = [];

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pool = (provider: 'OCTOPUS' | 'HYPERSTACK', baseUrl: string) => {
    const http = new UpstreamHttp({ provider, baseUrl, timeoutMs: 2_000, retries: 0, breakerThreshold: 0 });
    pools.push(http);
    return http;
  };
  octopus = new OctopusClient(pool('OCTOPUS', `${origin}/api`), 'default', 'API-TESTTESTTESTTESTTESTTESTTE');
  hyperstack = new HyperstackClient(pool('HYPERSTACK', `${origin}/v1`), 'default', { apiKey: 'test-key' });
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  server.close();
  server.closeAllConnections();
});

const octopusKey = (extra: Record<string, unknown> = {}) => ({
  Id: 'apikeys-1',
  UserId: 'Users-1',
  Purpose: 'deploy',
  ApiKey: { HasValue: true, Hint: 'API-ABCD' },
  Created: '2026-01-02T03:04:05.000+00:00',
  Expires: null,
  ...extra,
});
const hyperstackKey = (extra: Record<string, unknown> = {}) => ({
  id: 58,
  name: 'ci',
  description: '',
  key: '********-****-****-****-********abcd',
  created_at: '2026-01-02T03:04:05',
  ...extra,
});

/** The message an UPSTREAM_ERROR of this kind carries. */
const notDocumented = (provider: string, what: string, at?: string) =>
  `${provider} answered ${what} with a body that is not the documented JSON${at ? ` (at ${at})` : ''}.`;

async function octopusListFails(body: unknown, at?: string) {
  answer = body;
  const error = await failure(octopus.listKeys('Users-1', { skip: 0, take: 30 }));
  expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', message: notDocumented('Octopus Deploy', 'the list of API keys', at) });
}

describe('Octopus bodies of another shape', () => {
  it('reads a documented list, with unknown properties ignored and absent or null alike', async () => {
    answer = { Items: [octopusKey({ Surprise: 1 }), octopusKey({ Id: 'apikeys-2', ApiKey: 'API-WXYZ1234', Created: undefined })], TotalResults: 2, Links: { 'Page.Next': null } };
    const page = await octopus.listKeys('Users-1', { skip: 0, take: 30 });
    expect(page.total).toBe(2);
    expect(page.items.map((k) => [k.id, k.keyHint, k.createdAt?.toISOString() ?? null])).toEqual([
      ['apikeys-1', 'API-ABCD', '2026-01-02T03:04:05.000Z'],
      ['apikeys-2', 'API-WXYZ', null],
    ]);
  });

  it('reads a key without AccessLevel (a server before access levels) as full access, and an unknown or null level as unknown', async () => {
    answer = { Items: [octopusKey(), octopusKey({ AccessLevel: 'ReadOnly' }), octopusKey({ AccessLevel: 'Superuser' }), octopusKey({ AccessLevel: null })], TotalResults: 4, Links: {} };
    expect((await octopus.listKeys('Users-1', { skip: 0, take: 30 })).items.map((k) => k.accessLevel)).toEqual(['FULL_ACCESS', 'READ_ONLY', null, null]);
    // A create's answer carries no level even where the server has them: unknown until it is listed.
    answer = octopusKey({ ApiKey: 'API-SECRETSECRETSECRETSECRET1' });
    expect((await octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined })).apiKey.accessLevel).toBeNull();
  });

  it('names the first place a list goes wrong, in document order', async () => {
    await octopusListFails([], undefined);
    await octopusListFails(null, undefined);
    await octopusListFails({ TotalResults: 3 }, 'Items');
    await octopusListFails({ Items: {} }, 'Items');
    await octopusListFails({ Items: [octopusKey(), 'key'] }, 'Items.1');
    await octopusListFails({ Items: [octopusKey(), octopusKey({ Id: 5 }), octopusKey({ Id: '' })] }, 'Items.1.Id');
    await octopusListFails({ Items: [octopusKey({ UserId: '' })] }, 'Items.0.UserId');
    await octopusListFails({ Items: [octopusKey({ Purpose: 7, Id: '' })] }, 'Items.0.Id');
    await octopusListFails({ Items: [octopusKey({ ApiKey: 5 })] }, 'Items.0.ApiKey');
    await octopusListFails({ Items: [octopusKey({ ApiKey: { Hint: 5 } })] }, 'Items.0.ApiKey');
    await octopusListFails({ Items: [octopusKey({ ApiKey: [] })] }, 'Items.0.ApiKey');
    await octopusListFails({ Items: [octopusKey({ Created: 'yesterday' })] }, 'Items.0.Created');
    await octopusListFails({ Items: [octopusKey({ Expires: 20260101 })] }, 'Items.0.Expires');
    await octopusListFails({ Items: [octopusKey({ LastUsedTimeStamp: 'never' })] }, 'Items.0.LastUsedTimeStamp');
    await octopusListFails({ Items: [octopusKey({ IsLastUsedTimestampKnown: 'true' })] }, 'Items.0.IsLastUsedTimestampKnown');
    await octopusListFails({ Items: [octopusKey({ AccessLevel: 1 })] }, 'Items.0.AccessLevel');
    await octopusListFails({ Items: [octopusKey({ ActorType: false })] }, 'Items.0.ActorType');
    await octopusListFails({ Items: [octopusKey({ Created: 5 })], TotalResults: 'x' }, 'Items.0.Created');
    await octopusListFails({ Items: [], TotalResults: -1 }, 'TotalResults');
    await octopusListFails({ Items: [], TotalResults: 1.5 }, 'TotalResults');
    await octopusListFails({ Items: [], TotalResults: 2 ** 53 }, 'TotalResults');
    await octopusListFails({ Items: [], TotalResults: '3' }, 'TotalResults');
    await octopusListFails({ Items: [], Links: [] }, 'Links');
    // An entry's name is the provider's text (it could hold anything): never echoed to the client.
    await octopusListFails({ Items: [], Links: { Self: '/api', 'Page.Next': 5 } }, 'Links');
    await octopusListFails({ Items: [], Links: { [`x${'A'.repeat(300)}`]: 1 } }, 'Links');
  });

  it('reads unknown enum values as null rather than failing the list', async () => {
    answer = {
      Items: [
        octopusKey({ AccessLevel: 'Galactic', ActorType: 'Robot' }),
        octopusKey({ AccessLevel: 'ReadOnly', ActorType: 'AiAgent' }),
        // Names every object has: still unknown values, not whatever Object.prototype holds.
        octopusKey({ AccessLevel: 'constructor', ActorType: 'toString' }),
      ],
    };
    const page = await octopus.listKeys('Users-1', { skip: 0, take: 30 });
    expect(page.items.map((k) => [k.accessLevel, k.actorType])).toEqual([
      [null, null],
      ['READ_ONLY', 'AI_AGENT'],
      [null, null],
    ]);
    expect(page.total).toBe(3); // no TotalResults: what was read
  });

  it('checks users, single keys and the created key the same way', async () => {
    answer = { Id: 'Users-1', Username: 5 };
    expect(await failure(octopus.currentUser())).toMatchObject({ code: 'UPSTREAM_ERROR', message: notDocumented('Octopus Deploy', 'the current user', 'Username') });
    answer = { Items: [{ Id: 'Users-1' }, { Id: 'Users-2', IsService: 'no' }] };
    expect(await failure(octopus.listUsers(0, 30))).toMatchObject({ message: notDocumented('Octopus Deploy', 'the list of users', 'Items.1.IsService') });
    answer = octopusKey({ UserId: null });
    expect(await failure(octopus.getKey('Users-1', 'apikeys-1'))).toMatchObject({ message: notDocumented('Octopus Deploy', 'an API key', 'UserId') });
    // The created key must carry its secret: a masked or missing one is not success.
    answer = octopusKey();
    expect(await failure(octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined }))).toMatchObject({
      message: notDocumented('Octopus Deploy', 'the new API key', 'ApiKey'),
    });
    answer = octopusKey({ ApiKey: '' });
    expect(await failure(octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined }))).toMatchObject({
      message: notDocumented('Octopus Deploy', 'the new API key', 'ApiKey'),
    });
    answer = octopusKey({ ApiKey: 'API-SECRETSECRETSECRETSECRET1' });
    const created = await octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined });
    expect([created.secret, created.apiKey.keyHint, created.apiKey.id]).toEqual(['API-SECRETSECRETSECRETSECRET1', 'API-SECR', 'apikeys-1']);
    // The secret exists nowhere else: a field the key can do without, of another shape, reads as
    // unknown rather than cost it. Its ids must still be as documented.
    answer = octopusKey({ ApiKey: 'API-SECRETSECRETSECRETSECRET1', Created: '2026-13-45T00:00:00+00:00', Purpose: 7, AccessLevel: [], Expires: 'never' });
    const odd = await octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined });
    expect(odd).toMatchObject({ secret: 'API-SECRETSECRETSECRETSECRET1', apiKey: { id: 'apikeys-1', userId: 'Users-1', purpose: '', createdAt: null, expiresAt: null, accessLevel: null } });
    // An expiry written unreadably is the one keygate asked for, not "never expires".
    const asked = new Date('2027-01-02T03:04:05Z');
    expect((await octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: asked })).apiKey.expiresAt).toEqual(asked);
    answer = octopusKey({ ApiKey: 'API-SECRETSECRETSECRETSECRET1', Id: 5, Created: 'soon' });
    expect(await failure(octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined }))).toMatchObject({
      message: notDocumented('Octopus Deploy', 'the new API key', 'Id'),
      mayHaveReachedProvider: true,
    });
  });

  it('finds a created key whose answer has no readable id among the newest keys, so its secret is not lost', async () => {
    onTestFinished(() => {
      listAnswer = undefined;
    });
    answer = octopusKey({ ApiKey: 'API-NEWKEYSECRETSECRETSECRET1', Id: 5, Purpose: 'x' });
    const justNow = new Date().toISOString();
    const listed = (id: string, hint: string, purpose = 'x', created = justNow) => octopusKey({ Id: id, Purpose: purpose, ApiKey: { HasValue: true, Hint: hint }, Created: created });
    const page = (...items: unknown[]) => ({ Items: items, TotalResults: items.length, Links: { 'Page.Next': null } });
    // Of the same purpose and hint, but made in January: another key whose secret starts alike.
    const older = listed('apikeys-5', 'API-NEWK', 'x', '2026-01-02T03:04:05.000+00:00');
    listAnswer = page(listed('apikeys-9', 'API-NEWK'), listed('apikeys-8', 'API-OLDK'), listed('apikeys-7', 'API-NEWK', 'other'), older);
    expect(await octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined })).toMatchObject({
      secret: 'API-NEWKEYSECRETSECRETSECRET1',
      apiKey: { id: 'apikeys-9', purpose: 'x', keyHint: 'API-NEWK' },
    });
    // Only the old one, or two new ones, of that purpose and hint: the outcome stays unknown.
    for (const list of [page(listed('apikeys-8', 'API-OLDK'), older), page(listed('apikeys-9', 'API-NEWK'), listed('apikeys-6', 'API-NEWK'))]) {
      listAnswer = list;
      expect(await failure(octopus.createKey({ userId: 'Users-1', purpose: 'x', expires: undefined }))).toMatchObject({
        message: notDocumented('Octopus Deploy', 'the new API key', 'Id'),
        mayHaveReachedProvider: true,
      });
    }
  });
});

describe('Hyperstack bodies of another shape', () => {
  const listFails = async (body: unknown, at?: string) => {
    answer = body;
    expect(await failure(hyperstack.listKeys())).toMatchObject({ code: 'UPSTREAM_ERROR', message: notDocumented('Hyperstack', 'the list of API keys', at) });
  };

  it('reads a documented list: naive dates are UTC, an empty description is none', async () => {
    answer = { status: true, api_keys: [hyperstackKey(), hyperstackKey({ id: 59, created_at: '2026-05-06T15:18:42Z', description: 'd', name: null, key: null })] };
    const keys = await hyperstack.listKeys();
    expect(keys.map((k) => [k.id, k.name, k.description, k.keyHint, k.createdAt?.toISOString()])).toEqual([
      ['58', 'ci', null, 'abcd', '2026-01-02T03:04:05.000Z'],
      ['59', '', 'd', null, '2026-05-06T15:18:42.000Z'],
    ]);
  });

  it('names the first place a list goes wrong', async () => {
    await listFails('keys', undefined);
    await listFails({ status: true }, 'api_keys');
    await listFails({ api_keys: [hyperstackKey(), hyperstackKey({ id: '59' })] }, 'api_keys.1.id');
    await listFails({ api_keys: [hyperstackKey({ id: 1.5 })] }, 'api_keys.0.id');
    await listFails({ api_keys: [hyperstackKey({ id: 2 ** 53 })] }, 'api_keys.0.id');
    await listFails({ api_keys: [hyperstackKey({ name: 1, id: null })] }, 'api_keys.0.id');
    await listFails({ api_keys: [hyperstackKey({ description: {} })] }, 'api_keys.0.description');
    await listFails({ api_keys: [hyperstackKey({ key: 1234 })] }, 'api_keys.0.key');
    await listFails({ api_keys: [hyperstackKey({ created_at: 'soon' })] }, 'api_keys.0.created_at');
  });

  it('wants the full key from generate, and a key from update', async () => {
    answer = { api_key: hyperstackKey({ key: '' }) };
    expect(await failure(hyperstack.generateKey({ name: 'x', description: null }))).toMatchObject({
      message: notDocumented('Hyperstack', 'the new API key', 'api_key.key'),
    });
    answer = { api_key: hyperstackKey({ key: 'abcdefgh-1234' }) };
    expect(await hyperstack.generateKey({ name: 'x', description: null })).toMatchObject({ secret: 'abcdefgh-1234', apiKey: { keyHint: '1234' } });
    // A name or date of another shape reads as unknown: the secret is kept.
    answer = { api_key: hyperstackKey({ key: 'abcdefgh-1234', created_at: 'soon', name: 5, description: [] }) };
    expect(await hyperstack.generateKey({ name: 'x', description: null })).toMatchObject({
      secret: 'abcdefgh-1234',
      apiKey: { id: '58', name: '', description: null, createdAt: null, keyHint: '1234' },
    });
    // An id in a string, as an old docs page shows it: read, the secret kept; anything else is not.
    answer = { api_key: hyperstackKey({ key: 'abcdefgh-1234', id: '7' }) };
    expect(await hyperstack.generateKey({ name: 'x', description: null })).toMatchObject({ secret: 'abcdefgh-1234', apiKey: { id: '7' } });
    answer = { api_key: hyperstackKey({ key: 'abcdefgh-1234', id: '7a' }) };
    expect(await failure(hyperstack.generateKey({ name: 'x', description: null }))).toMatchObject({ message: notDocumented('Hyperstack', 'the new API key', 'api_key.id') });
    answer = { message: 'ok' };
    expect(await failure(hyperstack.updateKey('58', { name: 'x', description: null }))).toMatchObject({
      message: notDocumented('Hyperstack', 'the updated API key', 'api_key'),
    });
  });

  it('finds a generated key whose answer has no readable id in the list, so its secret is not lost', async () => {
    onTestFinished(() => {
      listAnswer = undefined;
    });
    const secret = '0a1b2c3d-0000-4000-8000-00000000beef';
    answer = { api_key: { name: 'x', description: '', key: secret } };
    const justNow = new Date().toISOString();
    const other = hyperstackKey({ id: 57, name: 'x', key: '***abcd', created_at: justNow });
    // Hyperstack names are unique in an account: name and hint find it, whatever its date says.
    listAnswer = { status: true, api_keys: [other, hyperstackKey({ id: 58, name: 'x', key: '***beef', created_at: '2020-01-02T03:04:05Z' }), hyperstackKey({ id: 56, name: 'y', key: '***beef' })] };
    expect(await hyperstack.generateKey({ name: 'x', description: null })).toMatchObject({ secret, apiKey: { id: '58', name: 'x', keyHint: 'beef' } });
    // No single key of that name and hint in the list (none, or two): the outcome stays unknown.
    const twins = [hyperstackKey({ id: 58, name: 'x', key: '***beef', created_at: justNow }), hyperstackKey({ id: 59, name: 'x', key: '***beef', created_at: justNow })];
    for (const keys of [[other], [], twins]) {
      listAnswer = { status: true, api_keys: keys };
      expect(await failure(hyperstack.generateKey({ name: 'x', description: null }))).toMatchObject({
        message: notDocumented('Hyperstack', 'the new API key', 'api_key.id'),
        mayHaveReachedProvider: true,
      });
    }
    // No secret in the answer: nothing to deliver.
    answer = { api_key: { name: 'x' } };
    expect(await failure(hyperstack.generateKey({ name: 'x', description: null }))).toMatchObject({ message: notDocumented('Hyperstack', 'the new API key', 'api_key.id') });
  });
});
