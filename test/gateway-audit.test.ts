// The audit trail through the gateway, on SQLite and on PostgreSQL: one event per mutation field,
// refused ones included, with hints and never a secret; the auditEvents query; and a failing audit
// write that never costs a minted secret.
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MAY_HAVE_CREATED_DETAIL } from '../src/services/audit.js';
import { openStore } from '../src/store/index.js';
import { startTestGateway, type TestGatewayOptions } from './support/gateway.js';
import { hyperstackUsers, octopusUsers } from './support/seeds.js';
import { backends, dumpAllTables } from './support/stores.js';

interface Event {
  client: string;
  operation: string;
  provider: string | null;
  account: string | null;
  keyId: string | null;
  keyName: string | null;
  keyHint: string | null;
  outcome: string;
  detail: string | null;
  requestId: string | null;
}

const EVENTS = /* GraphQL */ `
  query Events($first: Int, $after: String, $filter: AuditEventFilter) {
    auditEvents(first: $first, after: $after, filter: $filter) {
      nodes { client operation provider account keyId keyName keyHint outcome detail requestId }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

describe.each(backends())('the audit trail on $name', (backend) => {
  backend.setup();

  async function gateway(options: TestGatewayOptions = {}) {
    const store = await openStore({ url: await backend.freshUrl() });
    onTestFinished(() => store.close());
    const t = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() }, store, ...options });
    onTestFinished(() => t.close());
    return { t, store };
  }

  async function events(t: Awaited<ReturnType<typeof gateway>>['t'], variables: Record<string, unknown> = {}, headers?: Record<string, string>) {
    await t.gateway.store!.trail.settle();
    const response = await t.query<{ auditEvents: { nodes: Event[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(EVENTS, variables, headers);
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.auditEvents;
  }

  it.skipIf(backend.missing)('writes one event per mutation field, refused ones too, newest first, with hints and never a secret', async () => {
    const { t, store } = await gateway({ env: { CREATE_RATE_LIMIT: '3' } });
    const created = await t.query<{ a: { secret: string; apiKey: { id: string; keyHint: string } }; b: null }>(
      'mutation { a: createOctopusApiKey(input: { purpose: "audited" }) { secret apiKey { id keyHint } } b: generateHyperstackApiKey(input: { name: "training" }) { secret } }',
      undefined,
      { 'x-request-id': 'audit-test-1' },
    );
    const secret = created.body.data!.a.secret;
    await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: created.body.data!.a.apiKey.id });
    // Over the create limit (3): refused before it ran, and audited as such.
    const refused = await t.query('mutation { x: generateHyperstackApiKey(input: { name: "n1" }) { secret } y: generateHyperstackApiKey(input: { name: "n2" }) { secret } }');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    const { nodes } = await events(t);
    expect(nodes.map((e) => [e.operation, e.outcome])).toEqual([
      ['generateHyperstackApiKey', 'RATE_LIMITED'],
      ['generateHyperstackApiKey', 'RATE_LIMITED'],
      ['deleteApiKey', 'OK'],
      ['generateHyperstackApiKey', 'CONFLICT'],
      ['createOctopusApiKey', 'OK'],
    ]);
    const create = nodes[4]!;
    expect(create).toMatchObject({
      client: 'ip:unknown', // no client auth, and in-process requests have no socket
      provider: 'OCTOPUS',
      account: 'default',
      keyName: 'audited',
      keyHint: created.body.data!.a.apiKey.keyHint,
      requestId: 'audit-test-1',
    });
    expect(create.keyId).toBe(created.body.data!.a.apiKey.id);
    expect(nodes[3]).toMatchObject({ provider: 'HYPERSTACK', keyName: 'training', keyId: null });
    // The revoke names the key it revoked (read anyway, to guard keygate's own key), hint included.
    expect(nodes[2]).toMatchObject({ keyId: create.keyId, keyName: 'audited', keyHint: create.keyHint });
    expect(nodes[0]).toMatchObject({ provider: 'HYPERSTACK', detail: 'refused before it ran' });
    // Nowhere in the database: not the minted secret, not a configured credential.
    const dump = JSON.stringify(await dumpAllTables(store));
    for (const value of [secret, ...t.config.accounts.map((a) => a.apiKey!)]) expect(dump).not.toContain(value);
  });

  it.skipIf(backend.missing)('tells a create that may have made a key from one that made none, for a client that never reads the answer', async () => {
    const { t } = await gateway();
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' }, { times: 1 }); // the request reached Octopus
    const dropped = await t.query('mutation { createOctopusApiKey(input: { purpose: "maybe made" }) { secret } }');
    expect(dropped.body.errors?.[0]?.extensions).toMatchObject({ mayHaveCreated: true });
    await t.octopus.close(); // refused before any request reached it
    const refused = await t.query('mutation { createOctopusApiKey(input: { purpose: "certainly not made" }) { secret } }');
    expect(refused.body.errors?.[0]?.extensions).not.toHaveProperty('mayHaveCreated');
    const { nodes } = await events(t);
    expect(nodes.map((e) => [e.keyName, e.outcome, e.detail])).toEqual([
      ['certainly not made', 'UPSTREAM_UNAVAILABLE', null],
      ['maybe made', 'UPSTREAM_UNAVAILABLE', MAY_HAVE_CREATED_DETAIL],
    ]);
  });

  it.skipIf(backend.missing)('a mutation refused over its variables is audited with the code the client got', async () => {
    const { t } = await gateway();
    const refused = await t.query('mutation ($i: RevokeLeakedSecretInput!) { revokeLeakedSecret(input: $i) { provider } }', {
      i: { secret: 'API-XXXXXXXXXXXXXXXXXXXXXXXXX', extra: 1 },
    });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const { nodes } = await events(t);
    expect(nodes.map((e) => [e.operation, e.outcome, e.detail])).toEqual([['revokeLeakedSecret', 'BAD_USER_INPUT', 'refused before it ran']]);
  });

  it.skipIf(backend.missing)('auditEvents filters by provider, key, client, operation and time, and pages with cursors', async () => {
    const { t } = await gateway();
    const one = await t.query<{ createOctopusApiKey: { apiKey: { id: string } } }>('mutation { createOctopusApiKey(input: { purpose: "one" }) { secret apiKey { id } } }');
    const keyId = one.body.data!.createOctopusApiKey.apiKey.id;
    await t.query('mutation { generateHyperstackApiKey(input: { name: "two" }) { secret } }');
    await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: keyId });

    expect((await events(t, { filter: { provider: 'HYPERSTACK' } })).nodes.map((e) => e.keyName)).toEqual(['two']);
    expect((await events(t, { filter: { keyId } })).nodes.map((e) => e.operation)).toEqual(['deleteApiKey', 'createOctopusApiKey']);
    expect((await events(t, { filter: { operation: 'deleteApiKey' } })).nodes).toHaveLength(1);
    expect((await events(t, { filter: { client: 'ip:unknown' } })).nodes).toHaveLength(3);
    expect((await events(t, { filter: { client: 'somebody-else' } })).nodes).toHaveLength(0);
    expect((await events(t, { filter: { since: new Date(Date.now() + 3_600_000).toISOString() } })).nodes).toHaveLength(0);
    const first = await events(t, { first: 2 });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await events(t, { first: 2, after: first.pageInfo.endCursor });
    expect(rest.nodes.map((e) => e.keyName)).toEqual(['one']);
    const bad = await t.query(EVENTS, { after: 'not-a-cursor' });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.skipIf(backend.missing)('names the client by its token, and is behind client authentication like everything else', async () => {
    const token = 'audit-reader-token-0123456789';
    const { t } = await gateway({ env: { GATEWAY_TOKENS: `ops:${token}` } });
    const auth = { authorization: `Bearer ${token}` };
    await t.query('mutation { generateHyperstackApiKey(input: { name: "by-ops" }) { secret } }', undefined, auth);
    expect((await events(t, {}, auth)).nodes[0]).toMatchObject({ client: 'client:ops', keyName: 'by-ops' });
    const anonymous = await t.query(EVENTS);
    expect(anonymous.status).toBe(401);
  });

  it.skipIf(backend.missing)('a failed audit write never costs the secret: it is logged, counted, held and written once the store is back', async () => {
    const { t, store } = await gateway({ captureLogs: true });
    await sql`alter table audit_events rename to audit_events_away`.execute(store.db);
    const created = await t.query<{ generateHyperstackApiKey: { secret: string } }>('mutation { generateHyperstackApiKey(input: { name: "while-down" }) { secret } }');
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data!.generateHyperstackApiKey.secret).toBeTruthy();
    const trail = t.gateway.store!.trail;
    await expect.poll(() => trail.queued).toBe(1);
    const metrics = await (await t.gateway.yoga.fetch('http://keygate.test/metrics')).text();
    expect(metrics).toMatch(/keygate_store_errors_total\{kind="audit_write"\} [1-9]/);
    expect(t.logs().join('\n')).not.toContain(created.body.data!.generateHyperstackApiKey.secret);

    await sql`alter table audit_events_away rename to audit_events`.execute(store.db);
    await trail.settle();
    expect(trail.queued).toBe(0);
    expect((await events(t)).nodes.map((e) => [e.keyName, e.outcome])).toEqual([['while-down', 'OK']]);
  });
});

describe('readiness and the store', () => {
  it('/readyz is 503 and says so when the store stops answering', async () => {
    const store = await openStore({ url: 'sqlite::memory:' });
    const t = await startTestGateway({ store });
    onTestFinished(() => t.close());
    const ready = await t.gateway.yoga.fetch('http://keygate.test/readyz');
    expect(ready.status).toBe(200);
    await store.close();
    // A new gateway on the closed store (readiness is remembered for a few seconds per gateway).
    const { createGateway } = await import('../src/gateway.js');
    const after = createGateway(t.config, { store, storeLoops: false });
    onTestFinished(() => after.close());
    const notReady = await after.yoga.fetch('http://keygate.test/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, store: { ok: false, dialect: 'sqlite' } });
  });
});

describe('a gateway without a store', () => {
  it('answers auditEvents with SERVICE_UNAVAILABLE, and still creates keys', async () => {
    const { createGateway } = await import('../src/gateway.js');
    const t = await startTestGateway();
    onTestFinished(() => t.close());
    const bare = createGateway({ ...t.config }, {});
    onTestFinished(() => bare.close());
    const query = (q: string) =>
      bare.yoga.fetch('http://keygate.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q }) });
    const events = (await (await query('{ auditEvents { nodes { operation } } }')).json()) as { errors: { extensions: { code: string } }[] };
    expect(events.errors[0]!.extensions.code).toBe('SERVICE_UNAVAILABLE');
    const created = (await (await query('mutation { generateHyperstackApiKey(input: { name: "no-store" }) { secret } }')).json()) as {
      data: { generateHyperstackApiKey: { secret: string } };
    };
    expect(created.data.generateHyperstackApiKey.secret).toBeTruthy();
  });
});
