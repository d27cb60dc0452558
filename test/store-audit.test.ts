import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { AuditEvents, type AuditEventInput } from '../src/store/audit-events.js';
import { AuditTrail, type TrailLogger } from '../src/store/audit-trail.js';
import type { Store } from '../src/store/db.js';
import { StoreError } from '../src/store/errors.js';
import { REDACTED } from '../src/store/secrets.js';
import { TestClock, backends, deferred, errorLog, openTestStore } from './support/stores.js';

const DAY = 86_400_000;

/** An Octopus secret as Octopus makes them: API- and 26 capitals or digits. */
const octopusSecret = () => `API-${randomUUID().replaceAll('-', '').toUpperCase().slice(0, 26)}`;

const event = (overrides: Partial<AuditEventInput> = {}): AuditEventInput => ({
  requestId: 'req-1',
  client: 'ci',
  operation: 'createOctopusApiKey',
  provider: 'OCTOPUS',
  account: 'default',
  keyId: 'apikeys-1',
  keyName: 'deploy bot',
  keyHint: 'API-ABCD',
  outcome: 'OK',
  ...overrides,
});

function captureLogger(): TrailLogger & { lines: { level: string; object: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; object: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    warn: (object, message) => lines.push({ level: 'warn', object: object as Record<string, unknown>, message }),
    error: (object, message) => lines.push({ level: 'error', object: object as Record<string, unknown>, message }),
  };
}

/** Makes every audit write fail for real (the table is renamed away) until `restore`. */
async function breakAuditTable(store: Store): Promise<{ restore(): Promise<void> }> {
  await sql`alter table audit_events rename to audit_events_away`.execute(store.db);
  return { restore: async () => void (await sql`alter table audit_events_away rename to audit_events`.execute(store.db)) };
}

async function allIds(events: AuditEvents, filter = {}): Promise<number[]> {
  return (await events.list({ first: 500, filter })).edges.map((e) => e.node.id);
}

describe.each(backends())('audit events on $name', (backend) => {
  if (backend.missing) {
    it.skip(backend.missing, () => {});
    return;
  }
  backend.setup();

  it('writes an event and reads it back as written, newest first', async () => {
    const clock = new TestClock();
    const events = new AuditEvents(await openTestStore(backend), { clock: clock.now });
    const first = await events.insert(event({ detail: 'first' }));
    clock.advance(1000);
    const second = await events.insert(event({ operation: 'deleteApiKey', outcome: 'NOT_FOUND', account: null, keyName: null }));
    expect(first).toEqual({
      id: expect.any(Number),
      at: new Date('2026-11-30T12:00:00.000Z'),
      requestId: 'req-1',
      client: 'ci',
      operation: 'createOctopusApiKey',
      provider: 'OCTOPUS',
      account: 'default',
      keyId: 'apikeys-1',
      keyName: 'deploy bot',
      keyHint: 'API-ABCD',
      outcome: 'OK',
      detail: 'first',
    });
    const page = await events.list();
    expect(page.edges.map((e) => e.node)).toEqual([second, first]);
    expect(page.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: page.edges[0]!.cursor,
      endCursor: page.edges[1]!.cursor,
    });
  });

  it('pages with opaque cursors; events at the same millisecond come in id order, none twice or missed', async () => {
    const clock = new TestClock();
    const events = new AuditEvents(await openTestStore(backend), { clock: clock.now });
    const inserted: number[] = [];
    for (let i = 0; i < 7; i++) {
      if (i % 3 === 0) clock.advance(1); // times: 3 events, 3 events, 1 event
      inserted.push((await events.insert(event({ keyId: `apikeys-${i}` }))).id);
    }
    const seen: number[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await events.list({ first: 3, after });
      pages++;
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...inserted].reverse());

    const empty = await events.list({ first: 0 });
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo.hasNextPage).toBe(true);
  });

  it('refuses a cursor it did not make and a page size out of range, with BAD_USER_INPUT', async () => {
    const events = new AuditEvents(await openTestStore(backend));
    for (const args of [{ after: 'bm90LWEtY3Vyc29y' }, { after: Buffer.from('audit:yesterday:1').toString('base64url') }, { first: 501 }, { first: -1 }, { first: 1.5 }]) {
      await expect(events.list(args), JSON.stringify(args)).rejects.toMatchObject({ name: 'StoreError', code: 'BAD_USER_INPUT' });
    }
    await expect(events.list({ filter: { since: new Date('nonsense') } })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('filters by provider, account, key, client, operation and a time window (since inclusive, until exclusive)', async () => {
    const clock = new TestClock('2026-11-01T00:00:00.000Z');
    const events = new AuditEvents(await openTestStore(backend), { clock: clock.now });
    const a = await events.insert(event());
    clock.advance(DAY);
    const b = await events.insert(event({ provider: 'HYPERSTACK', keyId: '42', keyHint: 'ab12', client: 'jwt:alice', operation: 'generateHyperstackApiKey', account: 'prod' }));
    clock.advance(DAY);
    const c = await events.insert(event({ client: 'jwt:alice', operation: 'deleteApiKey', outcome: 'FORBIDDEN' }));

    expect(await allIds(events, { provider: 'HYPERSTACK' })).toEqual([b.id]);
    expect(await allIds(events, { provider: 'OCTOPUS' })).toEqual([c.id, a.id]);
    expect(await allIds(events, { account: 'prod' })).toEqual([b.id]);
    expect(await allIds(events, { keyId: 'apikeys-1' })).toEqual([c.id, a.id]);
    expect(await allIds(events, { client: 'jwt:alice' })).toEqual([c.id, b.id]);
    expect(await allIds(events, { operation: 'deleteApiKey' })).toEqual([c.id]);
    expect(await allIds(events, { client: 'jwt:alice', provider: 'OCTOPUS' })).toEqual([c.id]);
    expect(await allIds(events, { since: b.at })).toEqual([c.id, b.id]);
    expect(await allIds(events, { until: b.at })).toEqual([a.id]);
    expect(await allIds(events, { since: b.at, until: c.at })).toEqual([b.id]);
  });

  it('forgets events older than the retention period, and only those', async () => {
    const clock = new TestClock();
    const events = new AuditEvents(await openTestStore(backend), { retentionDays: 30, clock: clock.now });
    const now = clock.now().getTime();
    for (const age of [31 * DAY, 30 * DAY + 1, 30 * DAY, 29 * DAY, 0]) {
      await events.insert(event({ at: new Date(now - age), detail: `age ${age}` }));
    }
    expect(await events.purgeExpired()).toBe(2);
    const left = await events.list();
    expect(left.edges.map((e) => e.node.detail)).toEqual([`age 0`, `age ${29 * DAY}`, `age ${30 * DAY}`]);
    expect(await events.purgeExpired()).toBe(0);
    expect(() => new AuditEvents({ db: undefined as never, hooks: {} }, { retentionDays: 0 })).toThrow(/AUDIT_RETENTION_DAYS/);
  });

  it('keeps secrets out: a secret-shaped value is replaced, the event is still written, the refusal counted', async () => {
    const { log, hooks } = errorLog();
    const store = await openTestStore(backend, { hooks });
    const events = new AuditEvents(store);
    const octopus = octopusSecret();
    const hyperstack = randomUUID();
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';
    // A long value whose secret straddles the length cut (account: 100): it must go whole, not leave half a secret.
    const longName = `${'x'.repeat(85)} ${octopus}`;
    const stored = await events.insert(
      event({ keyName: octopus, detail: `leaked ${hyperstack}`, client: jwt, requestId: octopus, account: longName, keyHint: 'API-ABCD' }),
    );
    expect(stored).toMatchObject({ keyName: REDACTED, detail: REDACTED, client: REDACTED, requestId: REDACTED, account: REDACTED, keyHint: 'API-ABCD' });
    expect(log.secret_refused).toHaveLength(1);
    expect((log.secret_refused![0] as Error).message).toBe(
      'audit event createOctopusApiKey: requestId, client, account, keyName, detail looked like a secret and was not stored',
    );
    // The hints keygate shows are not mistaken for secrets.
    const hint = await events.insert(event({ provider: 'HYPERSTACK', keyHint: hyperstack.slice(-4), keyName: 'uuid-ish 1234-5678' }));
    expect(hint).toMatchObject({ keyHint: hyperstack.slice(-4), keyName: 'uuid-ish 1234-5678' });
    // Nor are a client's or a request's identifiers: a JWT's subject, a proxy's request id.
    const subject = randomUUID();
    const identified = await events.insert(event({ client: `jwt:${subject}`, requestId: subject }));
    expect(identified).toMatchObject({ client: `jwt:${subject}`, requestId: subject });
    expect(log.secret_refused).toHaveLength(1);
  });

  it('refuses an event that cannot be valid with BAD_USER_INPUT, before touching the database', async () => {
    const events = new AuditEvents(await openTestStore(backend));
    for (const bad of [
      event({ provider: 'GITHUB' as never }),
      event({ operation: 'drop table audit_events' }),
      event({ outcome: 'it went wrong: upstream said 500' }),
      event({ client: ' ' }),
    ]) {
      await expect(events.insert(bad)).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'BAD_USER_INPUT');
    }
    expect(await allIds(events)).toEqual([]);
  });

  it('stores a provider\'s text with a NUL (PostgreSQL text cannot hold one), and a filter finds it', async () => {
    const events = new AuditEvents(await openTestStore(backend));
    const written = await events.insert(event({ keyName: 'made\u0000elsewhere', detail: 'a\u0000b' }));
    expect([written.keyName, written.detail]).toEqual(['made\uFFFDelsewhere', 'a\uFFFDb']);
    await events.insert(event({ client: 'odd\u0000client' }));
    expect((await events.list({ filter: { client: 'odd\u0000client' } })).edges.map((e) => e.node.client)).toEqual(['odd\uFFFDclient']);
  });

  it('cuts long text to its field limit', async () => {
    const events = new AuditEvents(await openTestStore(backend));
    const stored = await events.insert(event({ keyName: 'n'.repeat(300), detail: 'd'.repeat(600) }));
    expect(stored.keyName).toBe(`${'n'.repeat(199)}…`);
    expect(stored.detail).toHaveLength(500);
  });
});

describe.each(backends())('audit trail (the retry queue) on $name', (backend) => {
  if (backend.missing) {
    it.skip(backend.missing, () => {});
    return;
  }
  backend.setup();

  it('holds events while the database fails, never throwing at the caller, and writes them in order with their own times once it is back', async () => {
    const { log, hooks } = errorLog();
    const store = await openTestStore(backend, { hooks });
    const clock = new TestClock();
    const events = new AuditEvents(store, { clock: clock.now });
    const logger = captureLogger();
    const trail = new AuditTrail(events, { hooks, logger });

    const table = await breakAuditTable(store);
    for (const keyId of ['k1', 'k2', 'k3']) {
      await trail.record(event({ keyId }));
      clock.advance(1000);
    }
    expect(trail.queued).toBe(3);
    // Only the first event tried the database; the others joined the queue behind it.
    expect(log.audit_write).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', message: 'audit event not written; held for a retry', object: { event: { keyId: 'k1' } } });

    await table.restore();
    await trail.flush();
    expect(trail.queued).toBe(0);
    const written = (await events.list()).edges.map((e) => e.node);
    expect(written.map((e) => [e.keyId, e.at.toISOString()])).toEqual([
      ['k3', '2026-11-30T12:00:02.000Z'],
      ['k2', '2026-11-30T12:00:01.000Z'],
      ['k1', '2026-11-30T12:00:00.000Z'],
    ]);
    expect(log.audit_dropped).toBeUndefined();
  });

  it('is bounded: when full it drops the oldest held event, logs it in full and counts it', async () => {
    const { log, hooks } = errorLog();
    const store = await openTestStore(backend, { hooks });
    const events = new AuditEvents(store);
    const logger = captureLogger();
    const trail = new AuditTrail(events, { hooks, logger, maxQueued: 2 });

    const table = await breakAuditTable(store);
    for (const keyId of ['k1', 'k2', 'k3', 'k4']) await trail.record(event({ keyId }));
    expect(trail.queued).toBe(2);
    expect(log.audit_dropped).toHaveLength(2);
    const dropped = logger.lines.filter((l) => l.level === 'error');
    expect(dropped.map((l) => l.message)).toEqual([
      'audit event dropped: 2 events already waiting for the database',
      'audit event dropped: 2 events already waiting for the database',
    ]);
    expect(dropped.map((l) => l.object.event)).toEqual([
      expect.objectContaining({ keyId: 'k1', operation: 'createOctopusApiKey', client: 'ci', keyHint: 'API-ABCD', outcome: 'OK' }),
      expect.objectContaining({ keyId: 'k2' }),
    ]);

    await table.restore();
    await trail.flush();
    expect((await events.list()).edges.map((e) => e.node.keyId)).toEqual(['k4', 'k3']);
  });

  it('drops (logs and counts) a malformed event instead of throwing, and close() logs what the database never took', async () => {
    const { log, hooks } = errorLog();
    const store = await openTestStore(backend, { hooks });
    const logger = captureLogger();
    const trail = new AuditTrail(new AuditEvents(store), { hooks, logger });

    await expect(trail.record(event({ provider: 'GITHUB' as never }))).resolves.toBeUndefined();
    expect(log.audit_dropped).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'error', message: 'audit event refused and not stored' });

    await breakAuditTable(store);
    await trail.record(event({ keyId: 'k-last' }));
    await trail.close();
    expect(trail.queued).toBe(0);
    expect(log.audit_dropped).toHaveLength(2);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'error',
      message: 'audit event lost at shutdown: the database did not take it',
      object: { event: expect.objectContaining({ keyId: 'k-last' }) },
    });
  });

  it.runIf(backend.name === 'postgres')('close() waits for a write in flight that no caller awaited', async () => {
    const url = await backend.freshUrl();
    const store = await openTestStore(backend, { url });
    const events = new AuditEvents(store);
    const trail = new AuditTrail(events);
    // Another session locks the table, so the write is held in the database until the test lets go.
    const database = new URL(url).pathname.slice(1);
    const locked = deferred();
    const release = deferred();
    const holder = backend.server().admin(database, async (client) => {
      await client.query('BEGIN');
      await client.query('LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE');
      locked.resolve();
      await release.promise;
      await client.query('COMMIT');
    });
    await locked.promise;

    void trail.record(event({ keyId: 'fire-and-forget' }));
    let closed = false;
    const closing = trail.close().then(() => (closed = true));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    release.resolve();
    await Promise.all([holder, closing]);
    expect((await events.list()).edges.map((e) => e.node.keyId)).toEqual(['fire-and-forget']);
  });

  it('start() retries held events by itself and purges past retention', async () => {
    const store = await openTestStore(backend);
    const clock = new TestClock();
    const events = new AuditEvents(store, { clock: clock.now, retentionDays: 1 });
    await events.insert(event({ keyId: 'ancient', at: new Date(clock.now().getTime() - 2 * DAY) }));
    const trail = new AuditTrail(events, { retryIntervalMs: 10 });

    const table = await breakAuditTable(store);
    await trail.record(event({ keyId: 'held' }));
    expect(trail.queued).toBe(1);
    await table.restore();
    trail.start();
    // Polls the trail's own state; the bound is only there so a broken loop fails instead of hanging.
    await vi.waitFor(() => expect(trail.queued).toBe(0), { timeout: 30_000, interval: 20 });
    await vi.waitFor(async () => expect((await events.list()).edges.map((e) => e.node.keyId)).toEqual(['held']), { timeout: 30_000, interval: 20 });
    await trail.close();
  });
});
