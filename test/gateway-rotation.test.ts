// Rotation through the gateway, on SQLite and PostgreSQL: a replacement minted, the old key revoked
// after the overlap (by the scheduler, after a restart, once across two instances), a provider
// failing mid-rotation, the in-use guard, cancel and complete. Time is a test clock.
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore, type Store } from '../src/store/index.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './support/gateway.js';
import { OCTOPUS_DEV_SECRET, hyperstackUsers, octopusUsers } from './support/seeds.js';
import { TestClock, backends, dumpAllTables } from './support/stores.js';

interface Rotated {
  rotateApiKey: {
    secret: string;
    oldKeyRevokesAt: string;
    apiKey: { id: string; name: string; expiresAt: string | null; keyHint: string };
    rotation: { id: string; state: string; oldKeyId: string; newKeyId: string | null; revokeOldAt: string | null };
  } | null;
}

const ROTATE = /* GraphQL */ `
  mutation Rotate($id: ID!, $after: Int!) {
    rotateApiKey(input: { id: $id, revokeOldAfter: $after }) {
      secret
      oldKeyRevokesAt
      apiKey { id name expiresAt keyHint }
      rotation { id state oldKeyId newKeyId revokeOldAt }
    }
  }
`;
const ROTATION = 'query($states: [RotationState!]) { rotations(states: $states) { nodes { id state lastError oldKeyId } } }';
const KEYS = '{ apiKeys(first: 100) { nodes { id name provider createdAt expiresAt } } }';

describe.each(backends())('rotation on $name', (backend) => {
  backend.setup();

  async function store(url?: string): Promise<Store> {
    const opened = await openStore({ url: url ?? (await backend.freshUrl()) });
    onTestFinished(() => opened.close());
    return opened;
  }

  async function gateway(options: TestGatewayOptions & { store: Store; clock: TestClock }) {
    const t = await startTestGateway({
      octopus: { users: octopusUsers() },
      hyperstack: { users: hyperstackUsers() },
      storeClock: options.clock.now,
      ...options,
    });
    onTestFinished(() => t.close());
    return t;
  }

  async function keys(t: TestGateway) {
    return (await t.query<{ apiKeys: { nodes: { id: string; name: string; provider: string; createdAt: string; expiresAt: string | null }[] } }>(KEYS)).body.data!
      .apiKeys.nodes;
  }
  const keyNamed = async (t: TestGateway, name: string) => (await keys(t)).find((k) => k.name === name)!;
  const tick = (t: TestGateway) => t.gateway.store!.rotations.scheduler.tick();

  it.skipIf(backend.missing)('Octopus: a replacement with the same purpose and lifetime now, the old key revoked when the overlap ends', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    // A key made 10 days ago to last 90 days.
    const now = Date.now();
    t.octopus.addKey('Users-1', { purpose: 'ci: ninety days', created: new Date(now - 10 * 86_400_000), expires: new Date(now + 80 * 86_400_000) });
    const old = await keyNamed(t, 'ci: ninety days');
    t.resetCounts();
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 3600 });
    expect(rotated.body.errors).toBeUndefined();
    const payload = rotated.body.data!.rotateApiKey!;
    expect(payload.secret).toMatch(/^API-/);
    expect(payload.apiKey.name).toBe('ci: ninety days');
    // The same lifetime as the old key, from now.
    expect(Math.abs(Date.parse(payload.apiKey.expiresAt!) - (clock.now().getTime() + 90 * 86_400_000))).toBeLessThan(60_000);
    expect(payload.rotation).toMatchObject({ state: 'OVERLAP', oldKeyId: old.id, newKeyId: payload.apiKey.id });
    expect(Date.parse(payload.oldKeyRevokesAt)).toBe(clock.now().getTime() + 3_600_000);
    // Minimal: the old key (one GET; it also tells the gateway-key guard its hint) and the create.
    expect(t.counts()).toEqual({ 'GET /api/users/{userId}/apikeys/{id}': 1, 'POST /api/users/{userId}/apikeys': 1 });

    expect(await tick(t)).toEqual([]); // not due yet: both keys work
    expect((await keys(t)).map((k) => k.id)).toEqual(expect.arrayContaining([old.id, payload.apiKey.id]));
    clock.advance(3_600_000);
    const [result] = await tick(t);
    expect(result!.outcome).toBe('COMPLETED');
    expect((await keys(t)).map((k) => k.id)).not.toContain(old.id);
    expect((await t.query<{ rotations: { nodes: { state: string }[] } }>(ROTATION)).body.data!.rotations.nodes[0]!.state).toBe('COMPLETED');
  });

  it.skipIf(backend.missing)('revokeOldAfter: 0 revokes the old key at once; a lifetime past the server maximum gets 365 days, as a date', async () => {
    const t = await gateway({ store: await store(), clock: new TestClock(new Date().toISOString()) });
    const old = await keyNamed(t, 'Tie breaker'); // expires in 2099
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 0 });
    expect(rotated.body.errors).toBeUndefined();
    expect(rotated.body.data!.rotateApiKey!.rotation.state).toBe('COMPLETED');
    // A date, not null: null is the maximum (366 days) to this server, but "never expires" to one before 2025.4.
    expect(Math.abs(Date.parse(rotated.body.data!.rotateApiKey!.apiKey.expiresAt!) - (Date.now() + 365 * 86_400_000))).toBeLessThan(60_000);
    expect((await keys(t)).map((k) => k.id)).not.toContain(old.id);
  });

  /** Another keygate on the same database and providers, which never saw the answer go out: its recovery, an hour on. */
  async function recoverElsewhere(a: TestGateway, url: string, clock: TestClock): Promise<void> {
    const { createGateway } = await import('../src/gateway.js');
    const b = createGateway(a.config, { store: await store(url), storeLoops: false, storeClock: clock.now });
    onTestFinished(() => b.close());
    clock.advance(3_600_000);
    await b.store!.rotations.recover();
    await b.store!.trail.settle();
  }

  const recoveryEvents = async (t: TestGateway) =>
    (await t.query<{ auditEvents: { edges: { node: { keyId: string; outcome: string; detail: string } }[] } }>(RECOVERY)).body.data!.auditEvents.edges.map((e) => e.node);

  /** The store failing under a request, as a database does: the rotations table is away until `back()`. */
  async function rotationsTableAway(s: Store): Promise<{ back(): Promise<void> }> {
    await sql`ALTER TABLE rotations RENAME TO rotations_away`.execute(s.db);
    return { back: () => sql`ALTER TABLE rotations_away RENAME TO rotations`.execute(s.db).then(() => undefined) };
  }

  it.skipIf(backend.missing)('the store failing once the replacement exists costs no secret, and recovery later records it and revokes nothing', async () => {
    const clock = new TestClock(new Date().toISOString());
    const s = await store();
    const t = await gateway({ store: s, clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    const create = t.octopus.hold('POST /api/users/{userId}/apikeys');
    const pending = t.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    await create.arrived;
    const table = await rotationsTableAway(s); // the intent is recorded; the outcome cannot be
    create.release();
    const answer = await pending;
    const payload = answer.body.data!.rotateApiKey!;
    expect(payload.secret).toMatch(/^API-/);
    expect(payload.rotation).toMatchObject({ state: 'PENDING_CREATE', newKeyId: payload.apiKey.id });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({ path: ['rotateApiKey'], message: expect.stringMatching(/^The new key exists and its secret is in this answer/), extensions: { code: 'SERVICE_UNAVAILABLE' } }),
    ]);
    // The secret works: Octopus lists keys for it.
    expect((await t.query(KEYS, undefined, { 'X-Octopus-ApiKey': payload.secret })).body.errors).toBeUndefined();

    // The store is back, and recovery runs long after any create could still be in flight: it
    // records the replacement instead of taking it for an orphan.
    await table.back();
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    const ids = (await keys(t)).map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([old.id, payload.apiKey.id]));
    const [rotation] = (await t.query<{ rotations: { nodes: { state: string; oldKeyId: string }[] } }>(ROTATION)).body.data!.rotations.nodes;
    expect(rotation).toMatchObject({ state: 'OVERLAP', oldKeyId: old.id });
  });

  it.skipIf(backend.missing)('a create that failed while the store failed too says so in the trail, and recovery settles the rotation', async () => {
    const clock = new TestClock(new Date().toISOString());
    const s = await store();
    const t = await gateway({ store: s, clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'error' }, { times: 1 }); // a 500: the key may exist
    const create = t.octopus.hold('POST /api/users/{userId}/apikeys');
    const pending = t.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    await create.arrived;
    const table = await rotationsTableAway(s);
    create.release();
    const answer = await pending;
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ mayHaveCreated: true });
    await table.back();
    await t.gateway.store!.trail.settle();
    const events = await t.query<{ auditEvents: { nodes: { operation: string; detail: string | null }[] } }>('{ auditEvents(first: 1) { nodes { operation detail } } }');
    expect(events.body.data!.auditEvents.nodes[0]).toMatchObject({ operation: 'rotateApiKey', detail: expect.stringMatching(/its failure \(\w+\) could not be recorded \(STORE_UNAVAILABLE\): recovery settles it/) });
    expect(await rotationStates(t)).toEqual([['PENDING_CREATE', null]]);
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(await rotationStates(t)).toEqual([['FAILED', 'NOT_CREATED']]);
  });

  it.skipIf(backend.missing)('a replacement handed out while the store failed is kept by another instance\'s recovery, with the old key, for a person', async () => {
    const clock = new TestClock(new Date().toISOString());
    const url = await backend.freshUrl();
    const s = await store(url);
    const a = await gateway({ store: s, clock, env: { CREATE_RATE_LIMIT: '0' } });
    const old = await keyNamed(a, 'Deploy pipeline');
    const create = a.octopus.hold('POST /api/users/{userId}/apikeys');
    const pending = a.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    await create.arrived;
    const table = await rotationsTableAway(s);
    create.release();
    const payload = (await pending).body.data!.rotateApiKey!;
    expect(payload.rotation.state).toBe('PENDING_CREATE');
    await table.back();
    // A client retrying meanwhile: each refusal is an event of the same key, a page's worth and more.
    for (let i = 0; i < 25; i++) expect((await a.query<Rotated>(ROTATE, { id: old.id, after: 600 })).body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    await a.gateway.store!.trail.settle();
    await recoverElsewhere(a, url, clock);
    expect((await keys(a)).map((k) => k.id)).toEqual(expect.arrayContaining([old.id, payload.apiKey.id]));
    expect(await rotationStates(a)).toEqual([['FAILED', 'DELIVERED_UNRECORDED']]);
    expect(await recoveryEvents(a)).toEqual([expect.objectContaining({ keyId: payload.apiKey.id, outcome: 'REPLACEMENT_KEPT' })]);
  });

  it.skipIf(backend.missing)('a replacement handed out with a forwarded credential while the store failed is kept by another instance\'s recovery, not called nobody\'s', async () => {
    const clock = new TestClock(new Date().toISOString());
    const url = await backend.freshUrl();
    const s = await store(url);
    const a = await gateway({ store: s, clock, credentials: { octopus: false } });
    const own = { 'X-Octopus-ApiKey': a.octopus.credentials['Users-1']! };
    const listed = await a.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(KEYS, undefined, own);
    const old = listed.body.data!.apiKeys.nodes.find((k) => k.name === 'Deploy pipeline')!;
    const create = a.octopus.hold('POST /api/users/{userId}/apikeys');
    const pending = a.query<Rotated>(ROTATE, { id: old.id, after: 0 }, own);
    await create.arrived;
    const table = await rotationsTableAway(s);
    create.release();
    const payload = (await pending).body.data!.rotateApiKey!;
    expect(payload.secret).toMatch(/^API-/);
    await table.back();
    await a.gateway.store!.trail.settle();
    await recoverElsewhere(a, url, clock); // it holds no credential of its own either
    expect(await rotationStates(a)).toEqual([['FAILED', 'DELIVERED_UNRECORDED']]);
    expect(await recoveryEvents(a)).toEqual([expect.objectContaining({ keyId: payload.apiKey.id, outcome: 'REPLACEMENT_KEPT' })]);
    expect(a.octopus.keysOf('Users-1').map((k) => k.purpose).filter((p) => p === 'Deploy pipeline')).toHaveLength(2);
  });

  it.skipIf(backend.missing)('recovery takes a key of the same name made after the unknown outcome for someone\'s own, not the orphan', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    // The create's answer is lost: keygate says the outcome is unknown (here no key was made).
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' }, { times: 1 });
    const uncertain = await t.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    expect(uncertain.body.errors?.[0]?.extensions).toMatchObject({ mayHaveCreated: true });
    // Ten minutes later someone makes a key for the same purpose, and keeps its secret.
    const own = t.octopus.addKey('Users-1', { purpose: 'Deploy pipeline', created: new Date(clock.now().getTime() + 600_000) });
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(t.octopus.keysOf('Users-1').map((k) => k.id)).toEqual(expect.arrayContaining([own.id, Buffer.from(old.id, 'base64').toString().split('/').pop()]));
    const [rotation] = (await t.query<{ rotations: { nodes: { state: string; lastError: string }[] } }>(ROTATION)).body.data!.rotations.nodes;
    expect(rotation).toMatchObject({ state: 'FAILED', lastError: 'NOT_CREATED' });
  });

  const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().split('/').pop()!;
  const CREATE_OCTOPUS = 'mutation { createOctopusApiKey(input: { purpose: "Deploy pipeline" }) { secret apiKey { id } } }';
  const GENERATE_TRAINING = 'mutation { generateHyperstackApiKey(input: { name: "training" }) { secret apiKey { id } } }';
  const RECOVERY = 'query { auditEvents(filter: { operation: "rotationRecovery" }) { edges { node { keyId outcome detail } } } }';
  const rotationStates = async (t: TestGateway) =>
    (await t.query<{ rotations: { nodes: { state: string; lastError: string }[] } }>(ROTATION)).body.data!.rotations.nodes.map((r) => [r.state, r.lastError]);
  /** A rotation of an Octopus key (`Users-1/apikeys-…`) whose intent was recorded before the process died during the create: no answer, no lastError. */
  const crashedDuringCreate = (t: TestGateway, oldKeyId: string) =>
    t.gateway.store!.rotations.rotations.start({
      provider: 'OCTOPUS',
      account: 'default',
      oldKeyId,
      oldKeyName: 'Deploy pipeline',
      oldKeyHint: null,
      newKeyName: 'Deploy pipeline',
      overlapSeconds: 600,
      startedBy: 'test',
    });

  it.skipIf(backend.missing)('after an "unknown" answer recovery revokes nothing: the key a client made through keygate is kept, a possible orphan named for a person', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' }, { times: 1 });
    expect((await t.query<Rotated>(ROTATE, { id: old.id, after: 600 })).body.errors?.[0]?.extensions).toMatchObject({ mayHaveCreated: true });
    // Octopus had made the key before the connection dropped, by its clock a second before the
    // answer: nobody holds its secret. Or a client made it at the provider, on a clock behind
    // keygate's: keygate cannot tell, within the minute clocks may differ.
    const orphan = t.octopus.addKey('Users-1', { purpose: 'Deploy pipeline', created: new Date(clock.now().getTime() - 1_000) });
    // The client read "look for it, else try again", and made one through keygate: it holds that secret.
    const again = await t.query<{ createOctopusApiKey: { apiKey: { id: string } } }>(CREATE_OCTOPUS);
    expect(again.body.errors).toBeUndefined();
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(t.octopus.keysOf('Users-1').map((k) => k.id)).toEqual(
      expect.arrayContaining([rawId(old.id), rawId(again.body.data!.createOctopusApiKey.apiKey.id), orphan.id]),
    );
    expect(await rotationStates(t)).toEqual([['FAILED', 'REPLACEMENT_UNCERTAIN']]);
    await t.gateway.store!.trail.settle(); // recovery's events are written in the background
    const events = (await t.query<{ auditEvents: { edges: { node: { keyId: string; outcome: string } }[] } }>(RECOVERY)).body.data!.auditEvents.edges;
    expect(events.map((e) => [rawId(e.node.keyId), e.node.outcome])).toEqual([[orphan.id, 'REPLACEMENT_UNCERTAIN']]);
  });

  it.skipIf(backend.missing)('after a crash (no answer), recovery revokes an unused orphan, never a key its provider reports used', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    await crashedDuringCreate(t, Buffer.from(old.id, 'base64').toString().split('/').slice(1).join('/'));
    const orphan = t.octopus.addKey('Users-1', { purpose: 'Deploy pipeline', created: new Date(clock.now().getTime() + 1_000) });
    const used = t.octopus.addKey('Users-1', {
      purpose: 'Deploy pipeline',
      created: new Date(clock.now().getTime() + 2_000),
      lastUsed: new Date(clock.now().getTime() + 5_000),
      lastUsedKnown: true,
    });
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    const ids = t.octopus.keysOf('Users-1').map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([rawId(old.id), used.id]));
    expect(ids).not.toContain(orphan.id);
    expect(await rotationStates(t)).toEqual([['FAILED', 'ORPHAN_REVOKED']]);
  });

  it.skipIf(backend.missing)('after a crash, recovery reads the lists afresh: an orphan made since a list was shared is still found', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock, env: { LIST_CACHE_TTL_MS: '600000' } });
    const old = await keyNamed(t, 'Deploy pipeline');
    // Every user's whole list, shared across requests for ten minutes (the console, the inventory).
    expect((await t.query('{ apiKeys(first: 100, filter: { octopusUsers: ALL }) { nodes { id } } }')).body.errors).toBeUndefined();
    await crashedDuringCreate(t, Buffer.from(old.id, 'base64').toString().split('/').slice(1).join('/'));
    const orphan = t.octopus.addKey('Users-1', { purpose: 'Deploy pipeline', created: new Date(clock.now().getTime() + 1_000) });
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(t.octopus.keysOf('Users-1').map((k) => k.id)).not.toContain(orphan.id);
    expect(await rotationStates(t)).toEqual([['FAILED', 'ORPHAN_REVOKED']]);
  });

  it.skipIf(backend.missing)('a replacement whose record in the store is slow is not taken for an orphan by another instance meanwhile', async () => {
    const clock = new TestClock(new Date().toISOString());
    const url = await backend.freshUrl();
    const a = await gateway({ store: await store(url), clock });
    const timeout = a.config.upstream.timeoutMs;
    const old = await keyNamed(a, 'training');
    // The rename and the generate take the four timeouts a rotation's writes may take…
    const generate = a.hyperstack.hold('POST /v1/api-key/generate');
    const rotations = a.gateway.store!.rotations.rotations;
    const record = rotations.recordNewKey.bind(rotations);
    let recording!: () => void;
    const started = new Promise<void>((resolve) => (recording = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    // …and then the store's write of the new key takes a few seconds more (a busy SQLite, a full pool).
    rotations.recordNewKey = async (...args) => {
      recording();
      await finished;
      return record(...args);
    };
    const pending = a.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    await generate.arrived;
    clock.advance(4 * timeout);
    generate.release();
    await started;
    clock.advance(5_000);
    // Another instance on the same database and provider runs its recovery pass now.
    const { createGateway } = await import('../src/gateway.js');
    const b = createGateway(a.config, { store: await store(url), storeLoops: false, storeClock: clock.now });
    onTestFinished(() => b.close());
    await b.store!.rotations.recover();
    finish();
    const answer = (await pending).body.data!.rotateApiKey!;
    expect(answer.secret).toBeTruthy();
    expect(a.hyperstack.requests('DELETE /v1/api-key/{api_key_id}')).toBe(0);
    expect((await keys(a)).map((k) => k.id)).toContain(answer.apiKey.id);
    expect(await rotationStates(a)).toEqual([['OVERLAP', null]]);
  });

  it.skipIf(backend.missing)('a Hyperstack rotation refused at shutdown after its rename leaves the old key to recovery, which names it back', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'training');
    const rename = t.hyperstack.hold('PUT /v1/api-key/{api_key_id}');
    // `a` makes a key first: at shutdown this request then sends nothing more, the undo of `b`'s rename included.
    const pending = t.query<{ a: { secret: string } | null; b: unknown }>(
      'mutation($id: ID!) { a: generateHyperstackApiKey(input: { name: "first" }) { secret } b: rotateApiKey(input: { id: $id, revokeOldAfter: 60 }) { secret } }',
      { id: old.id },
    );
    await rename.arrived;
    t.gateway.drain();
    rename.release();
    const answered = await pending;
    expect(answered.body.data!.a!.secret).toBeTruthy();
    expect(answered.body.data!.b).toBeNull();
    expect(t.hyperstack.requests('PUT /v1/api-key/{api_key_id}')).toBe(1); // the rename; its undo was not sent
    expect((await keys(t)).map((k) => k.name)).not.toContain('training');
    expect(await rotationStates(t)).toEqual([['PENDING_CREATE', 'SERVICE_UNAVAILABLE']]);
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect((await keys(t)).map((k) => k.name)).toContain('training');
    expect(await rotationStates(t)).toEqual([['FAILED', 'NOT_CREATED']]);
  });

  it.skipIf(backend.missing)('a Hyperstack rename applied whose answer is lost leaves the rotation to recovery, which names the old key back', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'training');
    // The provider renames the key, then answers with a body keygate cannot read.
    t.hyperstack.fault('PUT /v1/api-key/{api_key_id}', { mode: 'reshape', body: () => ({ status: true }) }, { times: 1 });
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 60 });
    expect(rotated.body.data?.rotateApiKey ?? null).toBeNull();
    expect((await keys(t)).find((k) => k.id === old.id)!.name).toMatch(/^training \(rotated /);
    expect(await rotationStates(t)).toEqual([['PENDING_CREATE', rotated.body.errors![0]!.extensions!.code]]);
    await t.gateway.store!.trail.settle();
    const event = (await t.query<{ auditEvents: { nodes: { detail: string }[] } }>('{ auditEvents(first: 1) { nodes { detail } } }')).body.data!.auditEvents.nodes[0]!;
    expect(event.detail).toMatch(/^rotation \d+; .*the old key may carry the name "training \(rotated [^"]+\)" until recovery names it back/);
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect((await keys(t)).find((k) => k.id === old.id)!.name).toBe('training');
    expect(await rotationStates(t)).toEqual([['FAILED', 'NOT_CREATED']]);
  });

  it.skipIf(backend.missing)('the orphan recovery revokes leaves every cached list, as a revocation through the API does', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock, env: { LIST_CACHE_TTL_MS: '600000' } });
    const ref = `Users-1/${t.octopus.keysOf('Users-1').find((k) => k.purpose === 'Deploy pipeline')!.id}`; // no list read yet
    await crashedDuringCreate(t, ref);
    t.octopus.addKey('Users-1', { purpose: 'Deploy pipeline', created: new Date(clock.now().getTime() + 1_000) });
    const named = async () => (await keys(t)).filter((k) => k.name === 'Deploy pipeline').length;
    expect(await named()).toBe(2); // now in the shared list cache
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(await rotationStates(t)).toEqual([['FAILED', 'ORPHAN_REVOKED']]);
    expect(await named()).toBe(1);
  });

  it.skipIf(backend.missing)('a key of the name made at the provider after keygate answered "unknown" is left, with the old key, for a person', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' }, { times: 1 });
    await t.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    // Ten seconds after the answer, on a provider clock thirty seconds behind keygate's: the client's
    // own, made at the provider with its secret kept, or the replacement. keygate cannot tell.
    const made = t.octopus.addKey('Users-1', { purpose: 'Deploy pipeline', created: new Date(clock.now().getTime() - 20_000) });
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(t.octopus.keysOf('Users-1').map((k) => k.id)).toEqual(expect.arrayContaining([rawId(old.id), made.id]));
    expect(await rotationStates(t)).toEqual([['FAILED', 'REPLACEMENT_UNCERTAIN']]);
    await t.gateway.store!.trail.settle(); // recovery's events are written in the background
    const events = (await t.query<{ auditEvents: { edges: { node: { keyId: string; outcome: string; detail: string } }[] } }>(RECOVERY)).body.data!.auditEvents.edges;
    expect(rawId(events[0]!.node.keyId)).toBe(made.id);
    expect(events.map((e) => e.node)).toEqual([
      { keyId: expect.any(String), outcome: 'REPLACEMENT_UNCERTAIN', detail: expect.stringMatching(/^rotation \d+: a key of the replacement's name.*revoke this one if nobody holds its secret$/) },
    ]);
  });

  it.skipIf(backend.missing)('Hyperstack: a key the client generated through keygate after "unknown" is kept; the old key keeps its rotated name', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'training');
    t.hyperstack.fault('POST /v1/api-key/generate', { mode: 'drop' }, { times: 1 });
    expect((await t.query<Rotated>(ROTATE, { id: old.id, after: 600 })).body.errors?.[0]?.extensions).toMatchObject({ mayHaveCreated: true });
    // The old key is "training (rotated …)", so the client sees no "training", and generates one.
    const again = await t.query<{ generateHyperstackApiKey: { apiKey: { id: string } } }>(GENERATE_TRAINING);
    expect(again.body.errors).toBeUndefined();
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    const after = await keys(t);
    expect(after.map((k) => k.id)).toEqual(expect.arrayContaining([old.id, again.body.data!.generateHyperstackApiKey.apiKey.id]));
    expect(after.find((k) => k.id === old.id)!.name).toMatch(/^training \(rotated /); // "training" is taken now
    expect(await rotationStates(t)).toEqual([['FAILED', 'NOT_CREATED']]);
    await t.gateway.store!.trail.settle(); // recovery's events are written in the background
    const events = (await t.query<{ auditEvents: { edges: { node: { keyId: string; outcome: string; detail: string } }[] } }>(RECOVERY)).body.data!.auditEvents.edges;
    expect(events.map((e) => e.node.outcome)).toEqual(['CONFLICT']);
    expect(events[0]!.node.detail).toMatch(/the old key keeps the name "training \(rotated .*refused its old name back$/);
  });

  it.skipIf(backend.missing)('one rotation recovery cannot settle yet does not hold up the others', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' }, { times: 1 });
    await t.query<Rotated>(ROTATE, { id: (await keyNamed(t, 'Deploy pipeline')).id, after: 600 });
    t.hyperstack.fault('POST /v1/api-key/generate', { mode: 'drop' }, { times: 1 });
    await t.query<Rotated>(ROTATE, { id: (await keyNamed(t, 'training')).id, after: 600 });
    clock.advance(3_600_000);
    // Octopus is down for the first pass: its rotation (the older one) waits; Hyperstack's is settled.
    t.octopus.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });
    await t.gateway.store!.rotations.recover();
    expect(await rotationStates(t)).toEqual([['FAILED', 'NOT_CREATED'], ['PENDING_CREATE', 'UPSTREAM_UNAVAILABLE']]);
    t.octopus.clearFaults();
    await t.gateway.store!.rotations.recover();
    expect(await rotationStates(t)).toEqual([['FAILED', 'NOT_CREATED'], ['FAILED', 'NOT_CREATED']]);
  });

  it.skipIf(backend.missing)('a rotation whose writes do not fit the call budget is refused before any of them, never after its replacement exists', async () => {
    const t = await gateway({ store: await store(), clock: new TestClock(new Date().toISOString()), env: { MAX_UPSTREAM_CALLS: '3' } });
    const old = await keyNamed(t, 'training');
    t.resetCounts();
    // The list (1), then a rename, a generate, perhaps a rename undone, and the revocation: 5 > 3.
    const refused = await t.query<Rotated>(ROTATE, { id: old.id, after: 0 });
    expect(refused.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/more than 3 upstream calls \(rotating a key\)/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
    expect(await rotationStates(t)).toEqual([]);
  });

  it.skipIf(backend.missing)('a key named like a secret is refused as bad input before any write, not as a store outage to retry', async () => {
    const t = await gateway({ store: await store(), clock: new TestClock(new Date().toISOString()) });
    const name = `ci ${'3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f'}`; // a UUID: what a Hyperstack secret looks like
    const made = await t.query('mutation ($n: String!) { generateHyperstackApiKey(input: { name: $n }) { secret apiKey { id } } }', { n: name });
    expect(made.body.errors).toBeUndefined();
    const old = await keyNamed(t, name);
    t.resetCounts();
    const refused = await t.query<Rotated>(ROTATE, { id: old.id, after: 0 });
    expect(refused.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^This key's name looks like a Hyperstack API key, .* Rename the key, then rotate it\.$/),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(refused.body.errors?.[0]?.extensions).not.toHaveProperty('retryAfterSeconds');
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1 });
    expect(await rotationStates(t)).toEqual([]);
  });

  it.skipIf(backend.missing)('revokeOldAfter: 0 with the store failing during the revocation still answers the secret, and the scheduler settles it', async () => {
    const clock = new TestClock(new Date().toISOString());
    const s = await store();
    const t = await gateway({ store: s, clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    const revoke = t.octopus.hold('DELETE /api/users/{userId}/apikeys/{id}');
    const pending = t.query<Rotated>(ROTATE, { id: old.id, after: 0 });
    await revoke.arrived;
    const table = await rotationsTableAway(s);
    revoke.release();
    const answer = await pending;
    const payload = answer.body.data!.rotateApiKey!;
    expect(payload.secret).toMatch(/^API-/);
    expect(answer.body.errors).toEqual([
      expect.objectContaining({ path: ['rotateApiKey'], message: expect.stringMatching(/revoking the old key failed \(STORE_UNAVAILABLE\)/), extensions: { code: 'SERVICE_UNAVAILABLE' } }),
    ]);
    expect((await keys(t)).map((k) => k.id)).toEqual(expect.arrayContaining([payload.apiKey.id]));
    // Once the store is back and the revocation's lease has run out, the scheduler finishes it.
    await table.back();
    clock.advance(3_600_000);
    await tick(t);
    expect((await keys(t)).map((k) => k.id)).not.toContain(old.id);
    expect((await t.query<{ rotations: { nodes: { state: string }[] } }>(ROTATION)).body.data!.rotations.nodes[0]!.state).toBe('COMPLETED');
  });

  it.skipIf(backend.missing)('Hyperstack: the old key is renamed out of the way, the new one takes its name and description', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'training');
    t.resetCounts();
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 60 });
    expect(rotated.body.errors).toBeUndefined();
    // The list (once: for the key and the gateway-key guard), the rename, the generate.
    expect(t.counts()).toEqual({ 'GET /v1/api-key': 1, 'PUT /v1/api-key/{api_key_id}': 1, 'POST /v1/api-key/generate': 1 });
    const renamed = (await keys(t)).find((k) => k.id === old.id)!;
    expect(renamed.name).toBe(`training (rotated ${clock.now().toISOString().slice(0, 16).replace('T', ' ')})`);
    expect(rotated.body.data!.rotateApiKey!.apiKey.name).toBe('training');
  });

  it.skipIf(backend.missing)('a provider failing mid-rotation: the rename is undone, the rotation FAILED, the old key untouched', async () => {
    const t = await gateway({ store: await store(), clock: new TestClock(new Date().toISOString()), hyperstack: { users: hyperstackUsers(), keyQuota: 3 } });
    const old = await keyNamed(t, 'training');
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 60 }); // alice has 3 keys: at quota
    expect(rotated.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', provider: 'HYPERSTACK' });
    expect(rotated.body.errors?.[0]?.extensions).not.toHaveProperty('mayHaveCreated');
    expect((await keys(t)).find((k) => k.id === old.id)!.name).toBe('training');
    const rotations = (await t.query<{ rotations: { nodes: { state: string; lastError: string }[] } }>(ROTATION)).body.data!.rotations.nodes;
    expect(rotations).toEqual([expect.objectContaining({ state: 'FAILED', lastError: 'FORBIDDEN' })]);
  });

  it.skipIf(backend.missing)('an Octopus old key used after the rotation began is not revoked silently; completeRotation then revokes it', async () => {
    const clock = new TestClock(new Date(Date.now() - 60_000).toISOString());
    const t = await gateway({ store: await store(), clock });
    // A key whose secret the test knows, so it can use it: the dev user's "Dev laptop".
    const dev = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(
      '{ apiKeys(first: 100, filter: { octopusUserId: "Users-2", providers: [OCTOPUS] }) { nodes { id name } } }',
    );
    const old = dev.body.data!.apiKeys.nodes.find((k) => k.name === 'Dev laptop')!;
    await t.query<Rotated>(ROTATE, { id: old.id, after: 60 });
    // The old key is used after the rotation began (the simulator records the use).
    await fetch(`${t.octopus.url}/api/users/me`, { headers: { 'x-octopus-apikey': OCTOPUS_DEV_SECRET } });
    clock.advance(60_000);
    const [result] = await tick(t);
    expect(result).toMatchObject({ outcome: 'NEEDS_ATTENTION', code: 'OLD_KEY_IN_USE' });
    await t.gateway.store!.trail.settle();
    const events = await t.query<{ auditEvents: { nodes: { operation: string; outcome: string }[] } }>('{ auditEvents(first: 1) { nodes { operation outcome } } }');
    expect(events.body.data!.auditEvents.nodes[0]).toEqual({ operation: 'scheduledRevoke', outcome: 'OLD_KEY_IN_USE' });
    // The rotation says when the old key was used: the time Octopus reports for its last use.
    const used = await t.query<{ apiKeys: { nodes: { id: string; lastUsedAt: string | null }[] } }>(
      '{ apiKeys(first: 100, filter: { octopusUserId: "Users-2", providers: [OCTOPUS] }) { nodes { id lastUsedAt } } }',
    );
    const lastUsedAt = used.body.data!.apiKeys.nodes.find((k) => k.id === old.id)!.lastUsedAt;
    expect(lastUsedAt).not.toBeNull();
    const held = await t.query<{ rotations: { nodes: { oldKeyUsedAt: string | null }[] } }>('{ rotations(states: [NEEDS_ATTENTION]) { nodes { oldKeyUsedAt } } }');
    expect(held.body.data!.rotations.nodes).toEqual([{ oldKeyUsedAt: lastUsedAt }]);
    // A person decides: complete it anyway.
    const rotation = (await t.query<{ rotations: { nodes: { id: string }[] } }>(ROTATION, { states: ['NEEDS_ATTENTION'] })).body.data!.rotations.nodes[0]!;
    const completed = await t.query<{ completeRotation: { state: string } }>('mutation($id: ID!) { completeRotation(id: $id) { state } }', { id: rotation.id });
    expect(completed.body.data!.completeRotation.state).toBe('COMPLETED');
    expect(t.octopus.keysOf('Users-2').map((k) => k.id)).not.toContain(Buffer.from(old.id, 'base64').toString().split('/').pop());
  });

  it.skipIf(backend.missing)('completeRotation sent with another user\'s credential revokes with the credential the rotation was made with', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'training');
    await t.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    const rotation = (await t.query<{ rotations: { nodes: { id: string }[] } }>(ROTATION)).body.data!.rotations.nodes[0]!;
    // Bob's credential sees none of alice's keys: his DELETE would be "not found", read as revoked.
    const completed = await t.query<{ completeRotation: { state: string } }>('mutation($id: ID!) { completeRotation(id: $id) { state } }', { id: rotation.id }, {
      'X-Hyperstack-Api-Key': t.hyperstack.credentials[1]!,
    });
    expect(completed.body.errors).toBeUndefined();
    expect(completed.body.data!.completeRotation.state).toBe('COMPLETED');
    expect((await keys(t)).map((k) => k.id)).not.toContain(old.id);
  });

  it.skipIf(backend.missing)('cancelRotation keeps both keys; a second rotation of a key already being rotated is a CONFLICT', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 60 });
    const again = await t.query<Rotated>(ROTATE, { id: old.id, after: 60 });
    expect(again.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const cancelled = await t.query<{ cancelRotation: { state: string } }>('mutation($id: ID!) { cancelRotation(id: $id) { state } }', {
      id: rotated.body.data!.rotateApiKey!.rotation.id,
    });
    expect(cancelled.body.data!.cancelRotation.state).toBe('CANCELLED');
    clock.advance(120_000);
    expect(await tick(t)).toEqual([]);
    const ids = (await keys(t)).map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([old.id, rotated.body.data!.rotateApiKey!.apiKey.id]));
  });

  it.skipIf(backend.missing)('a rotation with a forwarded credential whose outcome stays unknown is left to a person, and the key can be rotated again', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock, credentials: { octopus: false } });
    const own = { 'X-Octopus-ApiKey': t.octopus.credentials['Users-1']! };
    const listed = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(KEYS, undefined, own);
    const old = listed.body.data!.apiKeys.nodes.find((k) => k.name === 'Deploy pipeline')!;
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'drop' }, { times: 1 });
    const uncertain = await t.query<Rotated>(ROTATE, { id: old.id, after: 0 }, own);
    expect(uncertain.body.errors?.[0]?.extensions).toMatchObject({ mayHaveCreated: true });
    // keygate has no credential of its own here to look for the replacement with, on any pass.
    clock.advance(3_600_000);
    await t.gateway.store!.rotations.recover();
    expect(await rotationStates(t)).toEqual([['FAILED', 'UNSETTLED']]);
    await t.gateway.store!.trail.settle();
    const events = (await t.query<{ auditEvents: { edges: { node: { keyId: string; outcome: string; detail: string } }[] } }>(RECOVERY)).body.data!.auditEvents.edges;
    expect(events.map((e) => e.node)).toEqual([
      expect.objectContaining({ keyId: old.id, outcome: 'UNSETTLED', detail: expect.stringMatching(/rotated with a credential the request brought.*"Deploy pipeline".*nobody holds its secret; revoke it/) }),
    ]);
    // The key is free to be rotated again, with the same credential.
    const again = await t.query<Rotated>(ROTATE, { id: old.id, after: 0 }, own);
    expect(again.body.errors).toBeUndefined();
  });

  it.skipIf(backend.missing)('completeRotation whose revocation fails says so, in its answer and its audit event, and can be run again', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    const old = await keyNamed(t, 'Deploy pipeline');
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    const id = rotated.body.data!.rotateApiKey!.rotation.id;
    t.octopus.fault('DELETE /api/users/{userId}/apikeys/{id}', { mode: 'error' }, { times: 1 });
    const complete = () => t.query<{ completeRotation: { state: string } | null }>('mutation($id: ID!) { completeRotation(id: $id) { state } }', { id });
    const failed = await complete();
    expect(failed.body.data!.completeRotation).toBeNull();
    expect(failed.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/Revoking the old key failed \(UPSTREAM_ERROR\); keygate's scheduler tries again/), extensions: { code: 'UPSTREAM_ERROR' } });
    expect((await keys(t)).map((k) => k.id)).toContain(old.id);
    expect((await complete()).body.data!.completeRotation).toEqual({ state: 'COMPLETED' });
    expect((await keys(t)).map((k) => k.id)).not.toContain(old.id);
    await t.gateway.store!.trail.settle();
    const events = await t.query<{ auditEvents: { edges: { node: { outcome: string } }[] } }>('{ auditEvents(filter: { operation: "completeRotation" }) { edges { node { outcome } } } }');
    expect(events.body.data!.auditEvents.edges.map((e) => e.node.outcome)).toEqual(['OK', 'UPSTREAM_ERROR']); // newest first
  });

  it.skipIf(backend.missing)('an immediate revocation with a forwarded credential that fails is left to a person, not to the scheduler and keygate\'s own credential', async () => {
    const clock = new TestClock(new Date().toISOString());
    const t = await gateway({ store: await store(), clock });
    // Bob's own key, through his own credential; keygate's configured credential is alice's, to
    // whom bob's keys are "not found".
    const bob = { 'X-Hyperstack-Api-Key': t.hyperstack.credentials[1]! };
    const listed = await t.query<{ apiKeys: { nodes: { id: string; name: string }[] } }>(KEYS, undefined, bob);
    const old = listed.body.data!.apiKeys.nodes.find((k) => k.name === 'bob-only')!;
    t.hyperstack.fault('DELETE /v1/api-key/{api_key_id}', { mode: 'error' }, { times: 1 });
    const rotated = await t.query<Rotated>(ROTATE, { id: old.id, after: 0 }, bob);
    expect(rotated.body.data!.rotateApiKey!.secret).toBeTruthy();
    expect(rotated.body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/revoking the old key failed \(UPSTREAM_ERROR\).*completeRotation with the same credential/s),
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(await rotationStates(t)).toEqual([['NEEDS_ATTENTION', 'UPSTREAM_ERROR']]);
    t.resetCounts();
    clock.advance(3_600_000);
    expect(await tick(t)).toEqual([]); // a 404 to alice's credential would have read as "already gone"
    expect(t.counts()).toEqual({});
    const after = await t.query<{ apiKeys: { nodes: { id: string }[] } }>(KEYS, undefined, bob);
    expect(after.body.data!.apiKeys.nodes.map((k) => k.id)).toContain(old.id); // still live, and known to be
    // Completing it takes bob's credential again; without it nothing is called.
    const complete = (headers?: Record<string, string>) =>
      t.query<{ completeRotation: { state: string; lastError: string | null } }>('mutation($id: ID!) { completeRotation(id: $id) { state lastError } }', { id: rotated.body.data!.rotateApiKey!.rotation.id }, headers);
    const without = await complete();
    expect(without.body.data!.completeRotation).toBeNull();
    expect(without.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/never keeps the credential/), extensions: { code: 'UNAUTHENTICATED' } });
    expect(await rotationStates(t)).toEqual([['NEEDS_ATTENTION', 'UNAUTHENTICATED']]);
    expect(t.counts()['DELETE /v1/api-key/{api_key_id}']).toBeUndefined();
    expect((await complete(bob)).body.data!.completeRotation).toEqual({ state: 'COMPLETED', lastError: null });
    expect(t.counts()['DELETE /v1/api-key/{api_key_id}']).toBe(1);
  });

  it.skipIf(backend.missing)('refuses a later revocation with a forwarded credential, an overlap over the maximum, and the key keygate uses, before any call', async () => {
    const t = await gateway({ store: await store(), clock: new TestClock(), env: { ROTATION_MAX_OVERLAP_S: '86400' } });
    const all = await t.query<{ apiKeys: { nodes: { id: string; name: string; usedByGateway: boolean }[] } }>('{ apiKeys(first: 100) { nodes { id name usedByGateway } } }');
    const some = all.body.data!.apiKeys.nodes.find((k) => k.name === 'Deploy pipeline')!;
    const own = all.body.data!.apiKeys.nodes.find((k) => k.usedByGateway)!;
    t.resetCounts();
    const forwarded = await t.query(ROTATE, { id: some.id, after: 60 }, { 'X-Octopus-ApiKey': t.octopus.credentials['Users-1']! });
    expect(forwarded.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/never stores a credential/), extensions: { code: 'BAD_USER_INPUT' } });
    const tooLong = await t.query(ROTATE, { id: some.id, after: 86_401 });
    expect(tooLong.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.counts()).toEqual({});
    const ownKey = await t.query(ROTATE, { id: own.id, after: 60 });
    expect(ownKey.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it.skipIf(backend.missing)('a rotation whose overlap ends while keygate is down is carried out after a restart, and no database row holds a secret', async () => {
    const url = await backend.freshUrl();
    const clock = new TestClock(new Date().toISOString());
    const first = await openStore({ url });
    const before = await startTestGateway({ octopus: { users: octopusUsers() }, hyperstack: { users: hyperstackUsers() }, store: first, storeClock: clock.now });
    onTestFinished(() => Promise.all([before.octopus.close(), before.hyperstack.close()]).then(() => undefined));
    const old = await keyNamed(before, 'Deploy pipeline');
    const rotated = await before.query<Rotated>(ROTATE, { id: old.id, after: 600 });
    const secret = rotated.body.data!.rotateApiKey!.secret;
    // keygate stops: its gateway and its database connection go.
    await before.gateway.close();
    await first.close();

    clock.advance(3_600_000);
    const second = await store(url);
    // keygate starts again, on the same database and the same providers: the rotation is still due.
    const { createGateway } = await import('../src/gateway.js');
    const restarted = createGateway(before.config, { store: second, storeLoops: false, storeClock: clock.now });
    onTestFinished(() => restarted.close());
    const [result] = await restarted.store!.rotations.scheduler.tick();
    expect(result).toMatchObject({ outcome: 'COMPLETED' });
    expect(before.octopus.keysOf('Users-1').map((k) => k.id)).not.toContain(Buffer.from(old.id, 'base64').toString().split('/').pop());
    await restarted.store!.trail.settle();
    const dump = JSON.stringify(await dumpAllTables(second));
    for (const value of [secret, ...before.config.accounts.map((a) => a.apiKey!)]) expect(dump).not.toContain(value);
  });

  it.skipIf(backend.missing || backend.name !== 'postgres')('two instances on one PostgreSQL revoke a scheduled old key exactly once', async () => {
    const url = await backend.freshUrl();
    const clock = new TestClock(new Date().toISOString());
    const a = await gateway({ store: await store(url), clock });
    const old = await keyNamed(a, 'Deploy pipeline');
    await a.query<Rotated>(ROTATE, { id: old.id, after: 60 });
    // A second keygate on the same database and the same providers.
    const { createGateway } = await import('../src/gateway.js');
    const b = createGateway(a.config, { store: await store(url), storeLoops: false, storeClock: clock.now });
    onTestFinished(() => b.close());
    clock.advance(60_000);
    a.resetCounts();
    const results = await Promise.all([a.gateway.store!.rotations.scheduler.tick(), b.store!.rotations.scheduler.tick()]);
    expect(results.flat().map((r) => r.outcome)).toEqual(['COMPLETED']);
    expect(a.counts()['DELETE /api/users/{userId}/apikeys/{id}']).toBe(1);
  });
});

