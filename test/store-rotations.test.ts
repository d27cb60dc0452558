import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { StoreError } from '../src/store/errors.js';
import { Rotations, type StartRotationInput } from '../src/store/rotations.js';
import { TestClock, backends, openTestStore } from './support/stores.js';

const HOUR = 3_600_000;

const input = (overrides: Partial<StartRotationInput> = {}): StartRotationInput => ({
  provider: 'OCTOPUS',
  account: 'default',
  oldKeyId: 'apikeys-1',
  oldKeyName: 'deploy bot',
  oldKeyHint: 'API-ABCD',
  newKeyName: 'deploy bot (rotated 2026-11-30 12:00)',
  overlapSeconds: 3600,
  startedBy: 'ci',
  ...overrides,
});

async function refused(promise: Promise<unknown>, code: StoreError['code']): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return (error as StoreError).message;
}

describe.each(backends())('rotations on $name', (backend) => {
  if (backend.missing) {
    it.skip(backend.missing, () => {});
    return;
  }
  backend.setup();

  async function setup() {
    const clock = new TestClock();
    const store = await openTestStore(backend);
    return { clock, store, rotations: new Rotations(store, { clock: clock.now }) };
  }

  it('records the intent first, then the new key: PENDING_CREATE → OVERLAP with the old key due after the overlap', async () => {
    const { clock, rotations } = await setup();
    const started = await rotations.start(input());
    expect(started).toEqual({
      id: expect.any(Number),
      provider: 'OCTOPUS',
      account: 'default',
      oldKeyId: 'apikeys-1',
      oldKeyName: 'deploy bot',
      oldKeyHint: 'API-ABCD',
      newKeyName: 'deploy bot (rotated 2026-11-30 12:00)',
      newKeyId: null,
      newKeyHint: null,
      state: 'PENDING_CREATE',
      overlapSeconds: 3600,
      revokeOldAt: null,
      oldKeyUsedAt: null,
      attempts: 0,
      nextAttemptAt: null,
      lastError: null,
      claimedBy: null,
      claimedUntil: null,
      startedBy: 'ci',
      credential: 'CONFIGURED',
      createdAt: new Date('2026-11-30T12:00:00.000Z'),
      updatedAt: new Date('2026-11-30T12:00:00.000Z'),
    });

    clock.advance(5000); // the provider took 5 s to mint the key: the overlap counts from now
    const overlap = await rotations.recordNewKey(started.id, { newKeyId: 'apikeys-2', newKeyHint: 'API-WXYZ' });
    expect(overlap).toMatchObject({
      state: 'OVERLAP',
      newKeyId: 'apikeys-2',
      newKeyHint: 'API-WXYZ',
      revokeOldAt: new Date('2026-11-30T13:00:05.000Z'),
      nextAttemptAt: new Date('2026-11-30T13:00:05.000Z'),
      updatedAt: new Date('2026-11-30T12:00:05.000Z'),
    });

    // Idempotent: the same step again (a retried request, a recovery that found the key) changes nothing.
    clock.advance(60_000);
    expect(await rotations.recordNewKey(started.id, { newKeyId: 'apikeys-2', newKeyHint: 'API-WXYZ' })).toEqual(overlap);
    // A different key for the same rotation is a conflict, not an overwrite.
    expect(await refused(rotations.recordNewKey(started.id, { newKeyId: 'apikeys-3' }), 'CONFLICT')).toBe(
      `rotation ${started.id} is OVERLAP: cannot record the new key`,
    );
    expect(await rotations.get(started.id)).toEqual(overlap);
  });

  it('allows one live rotation per key; a settled one frees the key', async () => {
    const { rotations } = await setup();
    const first = await rotations.start(input());
    expect(await refused(rotations.start(input()), 'CONFLICT')).toBe(`key apikeys-1 is already being rotated (rotation ${first.id}, PENDING_CREATE)`);
    // Another key, another account or another provider is not the same key.
    await rotations.start(input({ oldKeyId: 'apikeys-9' }));
    await rotations.start(input({ account: 'prod' }));
    await rotations.start(input({ provider: 'HYPERSTACK', oldKeyId: 'apikeys-1' }));

    await rotations.recordNewKey(first.id, { newKeyId: 'apikeys-2' });
    await refused(rotations.start(input()), 'CONFLICT');
    await rotations.cancel(first.id);
    const second = await rotations.start(input());
    expect(second.state).toBe('PENDING_CREATE');
    expect((await rotations.liveFor('OCTOPUS', 'default', 'apikeys-1'))?.id).toBe(second.id);
  });

  it.runIf(backend.name === 'postgres')('two instances starting the same rotation at once: one wins, one gets CONFLICT', async () => {
    const url = await backend.freshUrl();
    const [a, b] = await Promise.all([openTestStore(backend, { url }), openTestStore(backend, { url })]);
    const results = await Promise.allSettled([new Rotations(a).start(input()), new Rotations(b).start(input())]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ code: 'CONFLICT' });
  });

  it('a create the provider refused: → FAILED, final, idempotent', async () => {
    const { rotations } = await setup();
    const r = await rotations.start(input());
    const failed = await rotations.failCreate(r.id, 'FORBIDDEN');
    expect(failed).toMatchObject({ state: 'FAILED', lastError: 'FORBIDDEN', newKeyId: null });
    expect(await rotations.failCreate(r.id, 'FORBIDDEN')).toEqual(failed);
    expect(await refused(rotations.recordNewKey(r.id, { newKeyId: 'apikeys-2' }), 'CONFLICT')).toBe(`rotation ${r.id} is FAILED: cannot record the new key`);
    await refused(rotations.cancel(r.id), 'CONFLICT');
    // An error code, never a provider's message, is what lastError holds.
    await refused(rotations.failCreate(r.id, 'Forbidden: the key quota of 3 is reached'), 'BAD_USER_INPUT');
  });

  it('finds creates that crashed or timed out after a restart, so the gateway can look the key up by name', async () => {
    const clock = new TestClock();
    const url = await backend.freshUrl();
    const before = await openStore({ url });
    const rotations = new Rotations(before, { clock: clock.now });
    const crashed = await rotations.start(input());
    const uncertain = await rotations.start(input({ oldKeyId: 'apikeys-7', newKeyName: 'other (rotated)' }));
    clock.advance(2000);
    await rotations.noteCreateUncertain(uncertain.id, 'UPSTREAM_TIMEOUT');
    clock.advance(3000);
    const inFlight = await rotations.start(input({ oldKeyId: 'apikeys-8', newKeyName: 'third (rotated)' }));
    await before.close(); // the process ends here

    const after = await openTestStore(backend, { url });
    const recovered = new Rotations(after, { clock: clock.now });
    // Untouched for at least 5 s: the two old ones, not the create that may still be in flight.
    const stale = await recovered.pendingCreates(new Date(clock.now().getTime() - 2500));
    expect(stale.map((r) => [r.id, r.newKeyName, r.lastError])).toEqual([
      [crashed.id, 'deploy bot (rotated 2026-11-30 12:00)', null],
      [uncertain.id, 'other (rotated)', 'UPSTREAM_TIMEOUT'],
    ]);
    expect(stale.map((r) => r.id)).not.toContain(inFlight.id);
    // Found at the provider: recorded. Not there: failed. Either way it is no longer pending.
    await recovered.recordNewKey(crashed.id, { newKeyId: 'apikeys-20', newKeyHint: 'API-NEWK' });
    await recovered.failCreate(uncertain.id, 'UPSTREAM_TIMEOUT');
    expect(await recovered.pendingCreates(new Date(clock.now().getTime() + 1))).toEqual([expect.objectContaining({ id: inFlight.id })]);
  });

  it('old key used after the rotation began: → NEEDS_ATTENTION; then revoke now, or cancel', async () => {
    const { clock, rotations } = await setup();
    const r = await rotations.start(input());
    await rotations.recordNewKey(r.id, { newKeyId: 'apikeys-2' });
    const usedAt = new Date('2026-11-30T12:30:00.000Z');
    const flagged = await rotations.flagOldKeyUsed(r.id, usedAt);
    expect(flagged).toMatchObject({ state: 'NEEDS_ATTENTION', oldKeyUsedAt: usedAt });
    expect(await rotations.flagOldKeyUsed(r.id, usedAt)).toEqual(flagged);

    clock.advance(HOUR);
    const now = clock.now();
    const due = await rotations.revokeNow(r.id);
    expect(due).toMatchObject({ state: 'OVERLAP', revokeOldAt: now, nextAttemptAt: now, attempts: 0, lastError: null });

    const cancelled = await rotations.cancel(r.id);
    expect(cancelled.state).toBe('CANCELLED');
    expect(await rotations.cancel(r.id)).toEqual(cancelled);
    expect(await refused(rotations.revokeNow(r.id), 'CONFLICT')).toBe(`rotation ${r.id} is CANCELLED: cannot revoke the old key now`);
  });

  it('a replacement whose secret never reached its client: OVERLAP → NEEDS_ATTENTION (UNDELIVERED), idempotent; not before it is recorded', async () => {
    const { clock, rotations } = await setup();
    const r = await rotations.start(input());
    expect(await refused(rotations.holdUndelivered(r.id), 'CONFLICT')).toBe(`rotation ${r.id} is PENDING_CREATE: cannot hold an undelivered rotation`);
    await rotations.recordNewKey(r.id, { newKeyId: 'apikeys-2' });
    const held = await rotations.holdUndelivered(r.id);
    expect(held).toMatchObject({ state: 'NEEDS_ATTENTION', lastError: 'UNDELIVERED' });
    expect(await rotations.holdUndelivered(r.id)).toEqual(held);
    clock.advance(31 * 86_400_000); // past any overlap: the scheduler still leaves it alone
    expect(await rotations.claimDue({ owner: 'instance-a', leaseMs: 60_000, limit: 10 })).toEqual([]);
  });

  it('will not cancel while the new key is unsettled, nor step in while the old key is being revoked', async () => {
    const { clock, rotations } = await setup();
    const r = await rotations.start(input());
    expect(await refused(rotations.cancel(r.id), 'CONFLICT')).toBe(`rotation ${r.id} is PENDING_CREATE: cannot cancel`);
    await rotations.recordNewKey(r.id, { newKeyId: 'apikeys-2' });

    clock.advance(HOUR);
    const [claimed] = await rotations.claimDue({ owner: 'instance-a', leaseMs: 60_000, limit: 10 });
    expect(claimed).toMatchObject({ id: r.id, claimedBy: 'instance-a', attempts: 1 });
    for (const step of [() => rotations.cancel(r.id), () => rotations.flagOldKeyUsed(r.id, clock.now()), () => rotations.revokeNow(r.id)]) {
      expect(await refused(step(), 'CONFLICT')).toBe(`rotation ${r.id}: the old key is being revoked right now; try again shortly`);
    }
    // Once the lease has run out (the instance died), a person can step in again.
    clock.advance(60_000);
    expect((await rotations.cancel(r.id)).state).toBe('CANCELLED');
  });

  it('refuses a field shaped like a secret, and stores nothing', async () => {
    const { rotations } = await setup();
    const octopus = `API-${randomUUID().replaceAll('-', '').toUpperCase().slice(0, 26)}`;
    expect(await refused(rotations.start(input({ oldKeyName: octopus })), 'SECRET_REFUSED')).toBe(
      'rotation: oldKeyName looks like an Octopus API key; the store never holds a secret',
    );
    await refused(rotations.start(input({ provider: 'HYPERSTACK', oldKeyId: '42', newKeyName: `x ${randomUUID()}` })), 'SECRET_REFUSED');
    expect((await rotations.list()).edges).toEqual([]);

    const r = await rotations.start(input());
    await refused(rotations.recordNewKey(r.id, { newKeyId: 'apikeys-2', newKeyHint: octopus }), 'SECRET_REFUSED');
    expect((await rotations.get(r.id)).state).toBe('PENDING_CREATE');
  });

  it('takes a client whose name is shaped like a key: a JWT subject is often a UUID', async () => {
    const { rotations } = await setup();
    const startedBy = `jwt:${randomUUID()}`;
    const r = await rotations.start(input({ startedBy }));
    expect((await rotations.get(r.id)).startedBy).toBe(startedBy);
  });

  it('checks its input and says NOT_FOUND for an unknown rotation', async () => {
    const { rotations } = await setup();
    await refused(rotations.start(input({ overlapSeconds: -1 })), 'BAD_USER_INPUT');
    await refused(rotations.start(input({ overlapSeconds: 91 * 86400 })), 'BAD_USER_INPUT');
    await refused(rotations.start(input({ newKeyName: '' })), 'BAD_USER_INPUT');
    // A key named elsewhere with a NUL: refused before the provider is asked for a replacement (PostgreSQL would fail the insert).
    expect(await refused(rotations.start(input({ oldKeyName: 'a\u0000b', newKeyName: 'a\u0000b' })), 'BAD_USER_INPUT')).toBe(
      'rotation: oldKeyName contains a NUL character; rename the key first',
    );
    await refused(rotations.start(input({ provider: 'GITHUB' as never })), 'BAD_USER_INPUT');
    expect(await refused(rotations.get(999), 'NOT_FOUND')).toBe('no rotation 999');
    await refused(rotations.cancel(999), 'NOT_FOUND');
    expect(await rotations.find(-1)).toBeUndefined();
  });

  it('lists newest first with cursors and a filter', async () => {
    const { rotations } = await setup();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await rotations.start(input({ oldKeyId: `apikeys-${i}` }))).id);
    await rotations.failCreate(ids[1]!, 'FORBIDDEN');
    const first = await rotations.list({ first: 2 });
    expect(first.edges.map((e) => e.node.id)).toEqual([ids[4], ids[3]]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = await rotations.list({ first: 10, after: first.pageInfo.endCursor });
    expect(rest.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const failed = await rotations.list({ filter: { states: ['FAILED'] } });
    expect(failed.edges.map((e) => e.node.id)).toEqual([ids[1]]);
    await refused(rotations.list({ after: 'garbage' }), 'BAD_USER_INPUT');
  });
});
