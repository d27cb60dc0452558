// Shutdown never cuts a create: new ones are refused once it begins, those running finish and
// deliver their secret. The provider is one the test holds and answers by hand.
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { connect } from 'node:net';
import { createHttpServer, listen } from '../src/server.js';
import { UNDELIVERED_DETAIL } from '../src/services/audit.js';
import { startTestGateway } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';
import { TestClock } from './support/stores.js';
import { fakeClock, until } from './support/clock.js';
import { startGatewayProcess } from './support/process.js';
import { answer, startRawProvider } from './support/raw-provider.js';

const GENERATE = (name: string) => JSON.stringify({ query: `mutation { generateHyperstackApiKey(input: { name: "${name}" }) { secret apiKey { name } } }` });
const generated = (name: string, secret: string) => ({
  status: true,
  message: 'API Key generated successfully',
  api_key: { id: 7, name, description: '', key: secret, created_at: '2026-11-30T10:00:00Z' },
});

describe('draining (in process)', () => {
  it('refuses new creates with 503, Retry-After and SERVICE_UNAVAILABLE, while a running one delivers its secret and reads still run', async () => {
    const provider = await startRawProvider(({ method, res }) => {
      if (method === 'GET') answer(res, 200, { status: true, api_keys: [] });
      // creates wait for the test
    });
    onTestFinished(() => provider.close());
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '0', HYPERSTACK_URL: provider.url, HYPERSTACK_API_KEY: 'hs-key' }),
    );
    onTestFinished(() => gateway.close());
    const send = (body: string) =>
      Promise.resolve(gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));

    const running = send(GENERATE('before-shutdown'));
    const held = await provider.request(1); // the provider has it, and has not answered
    gateway.drain();

    const refused = await send(GENERATE('after-shutdown'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const refusal = (await refused.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(refusal.errors[0]!.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 });
    expect(refusal.errors[0]!.message).toMatch(/shutting down/);
    const read = await send(JSON.stringify({ query: '{ apiKeys { totalCount } }' }));
    expect(read.status).toBe(200);
    expect(provider.requests.filter((r) => r.method === 'POST')).toHaveLength(1); // the refused one never left

    answer(held.res, 200, generated('before-shutdown', 'hs-secret-delivered-at-shutdown'));
    const body = (await (await running).json()) as { data: { generateHyperstackApiKey: { secret: string } } };
    expect(body.data.generateHyperstackApiKey.secret).toBe('hs-secret-delivered-at-shutdown');
  });
});

describe('the gate before each create', () => {
  const TWO = JSON.stringify({ query: 'mutation { a: generateHyperstackApiKey(input: { name: "a" }) { secret } b: generateHyperstackApiKey(input: { name: "b" }) { secret } }' });

  /** A Hyperstack whose first create waits for the test; any later one is answered at once. */
  async function provider() {
    const started = await startRawProvider(({ method, body, res }) => {
      if (method === 'GET') return answer(res, 200, { status: true, api_keys: [] });
      const name = (JSON.parse(body) as { name: string }).name;
      if (started.requests.filter((r) => r.method === 'POST').length > 1) answer(res, 200, generated(name, `hs-secret-${name}`));
    });
    onTestFinished(() => started.close());
    return started;
  }

  it('an operation of several creates starts no new one once shutdown begins: the running one delivers its secret, the next is refused before any call', async () => {
    const hyperstack = await provider();
    const gateway = createGateway(
      loadConfig({ DEMO: '0', LOG_LEVEL: 'silent', ALLOWED_HOSTS: 'keygate.test', INVENTORY_REFRESH_S: '0', HYPERSTACK_URL: hyperstack.url, HYPERSTACK_API_KEY: 'hs-key' }),
    );
    onTestFinished(() => gateway.close());
    const running = Promise.resolve(gateway.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: TWO }));
    const held = await hyperstack.request(1);
    gateway.drain();
    answer(held.res, 200, generated('a', 'hs-secret-a'));
    const body = (await (await running).json()) as { data: Record<string, { secret: string } | null>; errors?: { path: string[]; extensions: { code: string } }[] };
    expect(body.data).toEqual({ a: { secret: 'hs-secret-a' }, b: null });
    expect(body.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } })]);
    expect(hyperstack.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('starts no create for a client that has gone, and the trail names every key made for it as undelivered', async () => {
    // `a` is answered at once, `b` waits for the test; the client leaves while `b` is at the provider.
    const hyperstack = await startRawProvider(({ method, body, res }) => {
      if (method === 'GET') return answer(res, 200, { status: true, api_keys: [] });
      const name = (JSON.parse(body) as { name: string }).name;
      if (name === 'a') answer(res, 200, generated('a', 'hs-secret-a'));
    });
    onTestFinished(() => hyperstack.close());
    await using t = await startTestGateway({ accounts: [{ name: 'raw', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: 'hs-key' }] });
    const server = createHttpServer(t.gateway);
    const { port } = await listen(server, t.gateway, 0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const three = JSON.stringify({
      query: `mutation { ${['a', 'b', 'c'].map((n) => `${n}: generateHyperstackApiKey(input: { account: "raw", name: "${n}" }) { secret }`).join(' ')} }`,
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(three)}\r\n\r\n${three}`);
    const b = await hyperstack.request(2);
    socket.destroy();
    await expect.poll(() => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n))), { timeout: 30_000 }).toBe(0);
    answer(b.res, 200, generated('b', 'hs-secret-b'));
    await expect.poll(async () => (await t.gateway.store!.events.list({ first: 10 })).edges.length, { timeout: 30_000 }).toBe(5);
    const events = (await t.gateway.store!.events.list({ first: 10 })).edges.map((e) => [e.node.keyName, e.node.outcome, e.node.detail]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['a', 'OK', null],
        ['a', 'UNDELIVERED', UNDELIVERED_DETAIL],
        ['b', 'OK', null],
        ['b', 'UNDELIVERED', UNDELIVERED_DETAIL],
        ['c', 'SERVICE_UNAVAILABLE', null],
      ]),
    );
    expect(hyperstack.requests.filter((r) => r.method === 'POST')).toHaveLength(2); // no create for `c`
  });

  describe('a create waiting for a free connection (all busy)', () => {
    /** One connection to Hyperstack, held by a list; then a create, queued behind it. */
    async function queuedCreate() {
      const t = await startTestGateway({ hyperstack: { users: hyperstackUsers() }, upstream: { connections: 1 } });
      onTestFinished(() => t.close());
      const list = t.hyperstack.hold('GET /v1/api-key');
      const read = t.query('{ apiKeys(filter: { providers: [HYPERSTACK] }) { totalCount } }');
      await list.arrived;
      const http = t.gateway.upstreams.find('HYPERSTACK', 'default')!.http;
      return { t, list, read, http };
    }

    it('is not sent once shutdown has begun meanwhile: no key is made, and the client is told so', async () => {
      const { t, list, read, http } = await queuedCreate();
      const create = t.query<{ generateHyperstackApiKey: { secret: string } | null }>('mutation { generateHyperstackApiKey(input: { name: "queued" }) { secret } }');
      await expect.poll(() => http.queued).toBe(1); // past the gate, waiting for the connection
      t.gateway.drain();
      list.release();
      await read;
      const answered = await create;
      expect(answered.body.data!.generateHyperstackApiKey).toBeNull();
      expect(answered.body.errors).toEqual([expect.objectContaining({ path: ['generateHyperstackApiKey'], extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 } })]);
      expect(t.counts()['POST /v1/api-key/generate']).toBeUndefined();
    });

    it('is not sent when its client has left meanwhile', async () => {
      const { t, list, read, http } = await queuedCreate();
      const server = createHttpServer(t.gateway);
      const { port } = await listen(server, t.gateway, 0, '127.0.0.1');
      onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const body = JSON.stringify({ query: 'mutation { generateHyperstackApiKey(input: { name: "queued" }) { secret } }' });
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await expect.poll(() => http.queued).toBe(1);
      socket.destroy();
      await expect.poll(() => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)))).toBe(0);
      list.release();
      await read;
      // The field's event is written when it ends (in the background): wait for it.
      const events = async () => {
        await t.gateway.store!.trail.settle();
        return (await t.gateway.store!.events.list({ first: 10 })).edges.map((e) => [e.node.operation, e.node.outcome]);
      };
      await expect.poll(events).toEqual([['generateHyperstackApiKey', 'SERVICE_UNAVAILABLE']]);
      expect(t.counts()['POST /v1/api-key/generate']).toBeUndefined();
    });
  });

  it('a rotation that revokes at once leaves the revocation to the scheduler once shutdown has begun, and answers its secret', async () => {
    await using t = await startTestGateway({ octopus: { users: octopusUsers() } });
    const keys = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>('{ apiKeys(first: 50, filter: { providers: [OCTOPUS] }) { nodes { id name } } }');
    const old = keys.body.data!.apiKeys.nodes.find((k) => k.name === 'Deploy pipeline')!;
    const create = t.octopus.hold('POST /api/users/{userId}/apikeys');
    const pending = t.query<{ rotateApiKey: { secret: string; rotation: { state: string } } | null }>(
      'mutation($id: ID!) { rotateApiKey(input: { id: $id, revokeOldAfter: 0 }) { secret rotation { state } } }',
      { id: old.id },
    );
    await create.arrived;
    t.gateway.drain();
    create.release();
    const answered = await pending;
    expect(answered.body.data!.rotateApiKey).toMatchObject({ secret: expect.stringMatching(/^API-/), rotation: { state: 'OVERLAP' } });
    expect(answered.body.errors).toEqual([expect.objectContaining({ path: ['rotateApiKey'], extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
    expect(t.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBeUndefined();
  });

  it('once shutdown has begun, a field after one that made a key is not run: the secret goes out before the grace period ends', async () => {
    await using t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() } });
    const keys = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>('{ apiKeys(first: 50, filter: { providers: [HYPERSTACK] }) { nodes { id name } } }');
    const other = keys.body.data!.apiKeys.nodes[0]!;
    const generate = t.hyperstack.hold('POST /v1/api-key/generate');
    t.resetCounts();
    const pending = t.query<{ a: { secret: string } | null; b: unknown }>(
      'mutation($id: ID!) { a: generateHyperstackApiKey(input: { name: "a" }) { secret } b: deleteApiKey(input: { id: $id }) { deletedId } }',
      { id: other.id },
    );
    await generate.arrived;
    t.gateway.drain();
    generate.release();
    const answered = await pending;
    expect(answered.body.data!.a!.secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(answered.body.data!.b).toBeNull();
    expect(answered.body.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);
    expect(answered.body.errors![0]!.message).toMatch(/already holds a new key's secret/);
    expect(t.counts()).toEqual({ 'POST /v1/api-key/generate': 1 }); // no read and no DELETE for `b`
  });

  it('once shutdown has begun, a field already running after one that made a key sends no further call', async () => {
    await using t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() } });
    const keys = await t.query<{ apiKeys: { nodes: { id: string }[] } }>('{ apiKeys(first: 50, filter: { providers: [HYPERSTACK] }) { nodes { id } } }');
    const other = keys.body.data!.apiKeys.nodes[0]!;
    const list = t.hyperstack.hold('GET /v1/api-key'); // `b` reads the list before its DELETE
    t.resetCounts();
    const pending = t.query<{ a: { secret: string } | null; b: unknown }>(
      'mutation($id: ID!) { a: generateHyperstackApiKey(input: { name: "a" }) { secret } b: deleteApiKey(input: { id: $id }) { deletedId } }',
      { id: other.id },
    );
    await list.arrived; // `a` has its secret; `b` is running
    t.gateway.drain();
    list.release();
    const answered = await pending;
    expect(answered.body.data!.a!.secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(answered.body.data!.b).toBeNull();
    expect(answered.body.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);
    expect(t.counts()).toEqual({ 'POST /v1/api-key/generate': 1, 'GET /v1/api-key': 1 }); // no DELETE
  });

  it("once shutdown has begun, a new Octopus key's owner is not read: its secret is answered without it", async () => {
    await using t = await startTestGateway({ octopus: { users: octopusUsers() } });
    const create = t.octopus.hold('POST /api/users/{userId}/apikeys');
    t.resetCounts();
    const pending = t.query<{ createOctopusApiKey: { secret: string; apiKey: { owner: unknown } } | null }>(
      'mutation { createOctopusApiKey(input: { userId: "Users-2", purpose: "for another user" }) { secret apiKey { ... on OctopusApiKey { owner { id } } } } }',
    );
    await create.arrived;
    t.gateway.drain();
    create.release();
    const answered = await pending;
    expect(answered.body.data!.createOctopusApiKey).toEqual({ secret: expect.stringMatching(/^API-/), apiKey: { owner: null } });
    expect(answered.body.errors).toEqual([expect.objectContaining({ path: ['createOctopusApiKey', 'apiKey', 'owner'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);
    expect(t.counts()['GET /api/users/{userId}']).toBeUndefined(); // the owner's read was not sent
  });

  it("once shutdown has begun, a new key's owner is refused before it waits for a busy connection, not after", async () => {
    await using t = await startTestGateway({ octopus: { users: octopusUsers() }, upstream: { connections: 1 } });
    const LIST = '{ apiKeys(filter: { providers: [OCTOPUS] }) { totalCount } }';
    await t.query(LIST); // /users/me is remembered: the list below is one call
    const create = t.octopus.hold('POST /api/users/{userId}/apikeys');
    const list = t.octopus.hold('GET /api/users/{userId}/apikeys');
    const http = t.gateway.upstreams.find('OCTOPUS', 'default')!.http;
    fakeClock(); // a queue timeout never frees the read: only refusing it first answers in time
    const pending = t.query<{ createOctopusApiKey: { secret: string; apiKey: { owner: unknown } } | null }>(
      'mutation { createOctopusApiKey(input: { userId: "Users-2", purpose: "for another user" }) { secret apiKey { ... on OctopusApiKey { owner { id } } } } }',
    );
    await create.arrived;
    const read = t.query(LIST); // another client's read, waiting for the create's connection
    await until(() => http.queued === 1, 'the read to wait for the connection');
    t.gateway.drain();
    create.release(); // the connection goes to the read, held at the provider
    await list.arrived;
    // Waiting its turn, the owner's read would hold the secret back for up to a timeout: past the
    // grace period, whose end cuts the connection. Refused first, the secret is answered now.
    const answered = await pending;
    expect(answered.body.data!.createOctopusApiKey).toEqual({ secret: expect.stringMatching(/^API-/), apiKey: { owner: null } });
    expect(answered.body.errors).toEqual([expect.objectContaining({ path: ['createOctopusApiKey', 'apiKey', 'owner'], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })]);
    expect(answered.body.errors![0]!.message).toMatch(/already holds a new key's secret/);
    list.release();
    await read;
    expect(t.counts()['GET /api/users/{userId}']).toBeUndefined();
  });
});

describe('a rotation whose answer never reaches its client', () => {
  const ROTATIONS = '{ rotations { nodes { state lastError } } }';

  /** A gateway on a real HTTP server, a store on a test clock, and a raw socket the test can cut. */
  async function served(options: { captureLogs?: boolean } = {}) {
    const clock = new TestClock(new Date().toISOString());
    const t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() }, storeClock: clock.now, ...options });
    onTestFinished(() => t.close());
    const server = createHttpServer(t.gateway);
    const { port } = await listen(server, t.gateway, 0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const keys = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>('{ apiKeys(first: 50, filter: { providers: [OCTOPUS] }) { nodes { id name } } }');
    const old = keys.body.data!.apiKeys.nodes.find((k) => k.name === 'Deploy pipeline')!;
    /** Sends a mutation on a socket of its own, and returns a function that cuts it and waits until the server saw it go. */
    const send = (query: string) => {
      const body = JSON.stringify({ query, variables: { id: old.id } });
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return async () => {
        socket.destroy();
        await expect.poll(() => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n))), { timeout: 30_000 }).toBe(0);
      };
    };
    const rotations = async () => (await t.query<{ rotations: { nodes: { state: string; lastError: string | null }[] } }>(ROTATIONS)).body.data!.rotations.nodes;
    return { t, clock, send, rotations };
  }

  it.each([0, 3600])('keeps the old key (revokeOldAfter: %i): the rotation waits for a person, and the scheduler revokes nothing', async (overlap) => {
    const { t, clock, send, rotations } = await served();
    const create = t.octopus.hold('POST /api/users/{userId}/apikeys');
    const leave = send(`mutation($id: ID!) { rotateApiKey(input: { id: $id, revokeOldAfter: ${overlap} }) { secret } }`);
    await create.arrived;
    await leave();
    create.release();
    await expect.poll(rotations, { timeout: 30_000 }).toEqual([{ state: 'NEEDS_ATTENTION', lastError: 'UNDELIVERED' }]);
    clock.advance(overlap * 1000 + 60_000);
    expect(await t.gateway.store!.rotations.scheduler.tick()).toEqual([]);
    expect(t.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBeUndefined();
    // The trail names the key to revoke: the replacement, whose secret reached no one, never the old key.
    await t.gateway.store!.trail.settle(); // events are written in the background
    const stored = (await t.gateway.store!.rotations.rotations.list()).edges[0]!.node;
    expect(stored.newKeyId).toMatch(/^Users-1\/apikeys-/);
    const events = (await t.gateway.store!.events.list({ first: 10 })).edges.map((e) => [e.node.operation, e.node.outcome, e.node.keyId, e.node.keyHint]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['rotateApiKey', 'OK', stored.oldKeyId, stored.oldKeyHint],
        ['rotateApiKey', 'UNDELIVERED', stored.newKeyId, stored.newKeyHint],
      ]),
    );
  });

  it('keeps the old key when the store cannot hold the rotation at first: the scheduler leaves it, and recovery holds it', async () => {
    const { t, clock, send, rotations } = await served({ captureLogs: true });
    const generate = t.hyperstack.hold('POST /v1/api-key/generate');
    const leave = send('mutation($id: ID!) { a: rotateApiKey(input: { id: $id, revokeOldAfter: 60 }) { secret } b: generateHyperstackApiKey(input: { name: "b" }) { secret } }');
    await generate.arrived;
    const db = t.gateway.store!.store.db;
    await sql`ALTER TABLE rotations RENAME TO rotations_away`.execute(db);
    await leave();
    generate.release();
    await expect.poll(() => t.logs().some((line) => line.includes('could not hold it yet')), { timeout: 30_000 }).toBe(true);
    await sql`ALTER TABLE rotations_away RENAME TO rotations`.execute(db);
    clock.advance(120_000);
    await t.gateway.store!.rotations.scheduler.tick(); // due: claimed, and refused by this instance
    expect(t.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBeUndefined();
    await t.gateway.store!.rotations.recover();
    expect(await rotations()).toEqual([{ state: 'NEEDS_ATTENTION', lastError: 'UNDELIVERED' }]);
    clock.advance(3_600_000);
    expect(await t.gateway.store!.rotations.scheduler.tick()).toEqual([]);
    expect(t.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBeUndefined();
  });

  it('keeps the old key when the client leaves after the rotation, while a later field of the same mutation runs', async () => {
    const { t, clock, send, rotations } = await served();
    const generate = t.hyperstack.hold('POST /v1/api-key/generate');
    const leave = send('mutation($id: ID!) { a: rotateApiKey(input: { id: $id, revokeOldAfter: 60 }) { secret } b: generateHyperstackApiKey(input: { name: "b" }) { secret } }');
    await generate.arrived;
    expect(await rotations()).toEqual([{ state: 'OVERLAP', lastError: null }]); // `a` has ended; its answer is not sent yet
    await leave();
    generate.release();
    await expect.poll(rotations, { timeout: 30_000 }).toEqual([{ state: 'NEEDS_ATTENTION', lastError: 'UNDELIVERED' }]);
    clock.advance(120_000);
    expect(await t.gateway.store!.rotations.scheduler.tick()).toEqual([]);
    expect(t.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBeUndefined();
  });
});

describe('SIGTERM with a create in flight', () => {
  it('the create finishes and its secret reaches the client; then the process exits 0', async () => {
    const provider = await startRawProvider();
    onTestFinished(() => provider.close());
    const gateway = await startGatewayProcess({ HYPERSTACK_URL: provider.url, HYPERSTACK_API_KEY: 'hs-key', LOG_LEVEL: 'info' });
    onTestFinished(() => void gateway.child.kill('SIGKILL'));

    const response = fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: GENERATE('in-flight') });
    const held = await provider.request(1); // the provider has the create
    gateway.child.kill('SIGTERM');
    await gateway.waitForOutput(/no longer accepting connections or key creations/);

    answer(held.res, 200, generated('in-flight', 'hs-secret-across-sigterm'));
    const delivered = await response;
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ data: { generateHyperstackApiKey: { secret: 'hs-secret-across-sigterm', apiKey: { name: 'in-flight' } } } });
    expect(await gateway.exited).toBe(0);
  });
});
