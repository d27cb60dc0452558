import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/db.js';
import type { Rotation } from '../src/store/rotations.js';
import { Rotations, type StartRotationInput } from '../src/store/rotations.js';
import { RevocationScheduler, type RevocationResult, type RevokeOutcome, type SchedulerOptions } from '../src/store/scheduler.js';
import { HOLDING_A_SECRET, gatewayError, shuttingDown } from '../src/errors.js';
import { TestClock, backends, deferred, errorLog, openTestStore } from './support/stores.js';

const OVERLAP_S = 3600;
const OVERLAP_MS = OVERLAP_S * 1000;

const input = (oldKeyId: string, overrides: Partial<StartRotationInput> = {}): StartRotationInput => ({
  provider: 'OCTOPUS',
  account: 'default',
  oldKeyId,
  oldKeyName: `key ${oldKeyId}`,
  newKeyName: `key ${oldKeyId} (rotated)`,
  overlapSeconds: OVERLAP_S,
  startedBy: 'ci',
  ...overrides,
});

/** A rotation whose new key exists: the old key is due OVERLAP_MS from now. */
async function overlapping(rotations: Rotations, oldKeyId: string): Promise<Rotation> {
  const r = await rotations.start(input(oldKeyId));
  return rotations.recordNewKey(r.id, { newKeyId: `${oldKeyId}-new` });
}

/** A provider stand-in that records which old keys it was asked to revoke and answers as told. */
function provider(answer: (rotation: Rotation, call: number) => Promise<RevokeOutcome> | RevokeOutcome = () => 'REVOKED') {
  const calls: string[] = [];
  return {
    calls,
    revoke: async (rotation: Rotation) => {
      calls.push(rotation.oldKeyId);
      return answer(rotation, calls.filter((id) => id === rotation.oldKeyId).length);
    },
  };
}

const coded = (code: string, extra: object = {}) => Object.assign(new Error(`provider said ${code}`), { code, ...extra });

describe.each(backends())('revocation scheduler on $name', (backend) => {
  if (backend.missing) {
    it.skip(backend.missing, () => {});
    return;
  }
  backend.setup();

  async function setup(options: Partial<SchedulerOptions> = {}, store?: Store) {
    const clock = new TestClock();
    const { log, hooks } = errorLog();
    const opened = store ?? (await openTestStore(backend, { hooks }));
    const rotations = new Rotations(opened, { clock: clock.now });
    const upstream = provider();
    const results: RevocationResult[] = [];
    const scheduler = new RevocationScheduler(rotations, {
      revoke: upstream.revoke,
      onResult: (result) => results.push(result),
      hooks,
      backoff: { baseMs: 1000, maxMs: 3000, maxAttempts: 5 },
      ...options,
    });
    return { clock, log, store: opened, rotations, upstream, results, scheduler };
  }

  it('revokes a due old key once: not before its time, once at it, never again', async () => {
    const { clock, rotations, upstream, results, scheduler } = await setup();
    const r = await overlapping(rotations, 'apikeys-1');
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(OVERLAP_MS - 1);
    expect(await scheduler.tick()).toEqual([]);
    expect(upstream.calls).toEqual([]);

    clock.advance(1);
    const [done] = await scheduler.tick();
    expect(done).toMatchObject({ outcome: 'COMPLETED', rotation: { id: r.id, state: 'COMPLETED', attempts: 1, claimedBy: null, lastError: null } });
    expect(results).toEqual([done]);
    expect(upstream.calls).toEqual(['apikeys-1']);

    clock.advance(OVERLAP_MS);
    expect(await scheduler.tick()).toEqual([]);
    expect(upstream.calls).toEqual(['apikeys-1']);
  });

  it('retries a transient failure with exponential backoff, keeping the code, until it succeeds', async () => {
    const upstream = provider((_, call) => {
      if (call <= 2) throw coded('UPSTREAM_TIMEOUT');
      return 'REVOKED';
    });
    const { clock, log, rotations, scheduler } = await setup({ revoke: upstream.revoke });
    const r = await overlapping(rotations, 'apikeys-1');
    clock.advance(OVERLAP_MS);
    const start = clock.now().getTime();
    const [first] = await scheduler.tick();
    expect(first).toMatchObject({ outcome: 'RETRY', code: 'UPSTREAM_TIMEOUT', retryAt: new Date(start + 1000) });
    expect(await rotations.get(r.id)).toMatchObject({
      state: 'OVERLAP',
      attempts: 1,
      lastError: 'UPSTREAM_TIMEOUT',
      nextAttemptAt: new Date(start + 1000),
      claimedBy: null,
    });

    clock.advance(999);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(1);
    const [second] = await scheduler.tick();
    expect(second).toMatchObject({ outcome: 'RETRY', retryAt: new Date(start + 1000 + 2000) });
    clock.advance(2000);
    const [third] = await scheduler.tick();
    expect(third).toMatchObject({ outcome: 'COMPLETED', rotation: { state: 'COMPLETED', attempts: 3, lastError: null } });
    expect(upstream.calls).toEqual(['apikeys-1', 'apikeys-1', 'apikeys-1']);
    expect(log.revoke).toHaveLength(2);
  });

  it('gives up to NEEDS_ATTENTION at once on a permanent error, and after maxAttempts on transient ones; honours Retry-After', async () => {
    const { clock, rotations } = await setup();
    const answers: Record<string, () => RevokeOutcome> = {
      forbidden: () => {
        throw coded('FORBIDDEN');
      },
      flaky: () => {
        throw coded('UPSTREAM_ERROR');
      },
      limited: () => {
        throw coded('RATE_LIMITED', { retryAfterSeconds: 600 });
      },
      bug: () => {
        throw new TypeError('cannot read properties of undefined');
      },
    };
    const upstream = provider((rotation) => answers[rotation.oldKeyId]!());
    const scheduler = new RevocationScheduler(rotations, { revoke: upstream.revoke, backoff: { baseMs: 1000, maxMs: 3000, maxAttempts: 2 } });
    for (const id of Object.keys(answers)) await overlapping(rotations, id);
    clock.advance(OVERLAP_MS);
    const now = clock.now().getTime();

    const first = await scheduler.tick();
    expect(Object.fromEntries(first.map((r) => [r.rotation.oldKeyId, [r.outcome, r.code, r.retryAt?.getTime() ?? null]]))).toEqual({
      forbidden: ['NEEDS_ATTENTION', 'FORBIDDEN', null],
      flaky: ['RETRY', 'UPSTREAM_ERROR', now + 1000],
      limited: ['RETRY', 'RATE_LIMITED', now + 600_000],
      // Anything without one of keygate's codes is retried under a code of ours; its message is not stored.
      bug: ['RETRY', 'INTERNAL_ERROR', now + 1000],
    });

    clock.advance(1000);
    const second = await scheduler.tick();
    expect(second.map((r) => [r.rotation.oldKeyId, r.outcome])).toEqual([
      ['flaky', 'NEEDS_ATTENTION'],
      ['bug', 'NEEDS_ATTENTION'],
    ]);
    clock.advance(600_000);
    expect((await scheduler.tick()).map((r) => [r.rotation.oldKeyId, r.outcome])).toEqual([['limited', 'NEEDS_ATTENTION']]);
    clock.advance(OVERLAP_MS);
    expect(await scheduler.tick()).toEqual([]);
    expect(upstream.calls.sort()).toEqual(['bug', 'bug', 'flaky', 'flaky', 'forbidden', 'limited', 'limited']);
    const states = await rotations.list({ filter: { states: ['NEEDS_ATTENTION'] } });
    expect(states.edges.map((e) => [e.node.oldKeyId, e.node.lastError])).toEqual([
      ['bug', 'INTERNAL_ERROR'],
      ['limited', 'RATE_LIMITED'],
      ['flaky', 'UPSTREAM_ERROR'],
      ['forbidden', 'FORBIDDEN'],
    ]);
  });

  it("keeps the code of keygate's own refusals (a GraphQL error's extensions), with their Retry-After", async () => {
    const { clock, rotations } = await setup();
    // What a revocation that shutdown refuses mid-way throws (create-gate.ts), and a permanent refusal.
    const refusals: Record<string, () => never> = {
      draining: () => {
        throw shuttingDown({ message: HOLDING_A_SECRET });
      },
      refused: () => {
        throw gatewayError('FORBIDDEN', 'not allowed', undefined, { retryAfterSeconds: 'soon' });
      },
    };
    const upstream = provider((rotation) => refusals[rotation.oldKeyId]!());
    const scheduler = new RevocationScheduler(rotations, { revoke: upstream.revoke, backoff: { baseMs: 100, maxMs: 3000, maxAttempts: 2 } });
    for (const id of Object.keys(refusals)) await overlapping(rotations, id);
    clock.advance(OVERLAP_MS);
    const now = clock.now().getTime();
    const results = await scheduler.tick();
    expect(Object.fromEntries(results.map((r) => [r.rotation.oldKeyId, [r.outcome, r.code, r.retryAt?.getTime() ?? null]]))).toEqual({
      draining: ['RETRY', 'SERVICE_UNAVAILABLE', now + 1000], // its Retry-After, 1 s, over the 100 ms backoff
      refused: ['NEEDS_ATTENTION', 'FORBIDDEN', null],
    });
  });

  it('leaves NEEDS_ATTENTION and CANCELLED rotations alone', async () => {
    const { clock, rotations, upstream, scheduler } = await setup();
    const used = await overlapping(rotations, 'used');
    const kept = await overlapping(rotations, 'kept');
    await rotations.flagOldKeyUsed(used.id, clock.now());
    await rotations.cancel(kept.id);
    clock.advance(10 * OVERLAP_MS);
    expect(await scheduler.tick()).toEqual([]);
    expect(upstream.calls).toEqual([]);
  });

  it('a scheduled revocation survives a restart: close the store, reopen, still due, carried out', async () => {
    const clock = new TestClock();
    const url = await backend.freshUrl();
    const before = await openStore({ url });
    const r = await overlapping(new Rotations(before, { clock: clock.now }), 'apikeys-1');
    await before.close();

    clock.advance(OVERLAP_MS);
    const after = await openTestStore(backend, { url });
    const upstream = provider();
    const scheduler = new RevocationScheduler(new Rotations(after, { clock: clock.now }), { revoke: upstream.revoke });
    const [done] = await scheduler.tick();
    expect(done).toMatchObject({ outcome: 'COMPLETED', rotation: { id: r.id, state: 'COMPLETED' } });
    expect(upstream.calls).toEqual(['apikeys-1']);
  });

  it('takes over a claim left by an instance that died mid-revocation once its lease ends', async () => {
    const clock = new TestClock();
    const url = await backend.freshUrl();
    const dying = await openStore({ url });
    const dyingRotations = new Rotations(dying, { clock: clock.now });
    const r = await overlapping(dyingRotations, 'apikeys-1');
    clock.advance(OVERLAP_MS);
    await dyingRotations.claimDue({ owner: 'dead-instance', leaseMs: 60_000, limit: 10 });
    await dying.close(); // it never recorded an outcome

    const store = await openTestStore(backend, { url });
    const upstream = provider(() => 'ALREADY_GONE'); // the dead instance may have got the DELETE through
    const scheduler = new RevocationScheduler(new Rotations(store, { clock: clock.now }), { revoke: upstream.revoke, owner: 'survivor' });
    clock.advance(59_999);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(1);
    const [done] = await scheduler.tick();
    expect(done).toMatchObject({ outcome: 'COMPLETED', rotation: { id: r.id, state: 'COMPLETED', attempts: 2 } });
    expect(upstream.calls).toEqual(['apikeys-1']);
  });

  it('leaves alone a rotation of its batch that was cancelled once the batch\'s lease ran out', async () => {
    const leaseMs = 300_000;
    let cancelled: Promise<Rotation> | undefined;
    // The first revoke of the batch is slow: it outlasts the lease, and meanwhile B is cancelled.
    const upstream = provider((rotation) => {
      if (rotation.oldKeyId === 'apikeys-a') {
        clock.advance(leaseMs + 1);
        cancelled = rotations.cancel(b.id);
      }
      return 'REVOKED';
    });
    const { clock, rotations, scheduler } = await setup({ revoke: upstream.revoke, leaseMs });
    await overlapping(rotations, 'apikeys-a');
    const b = await overlapping(rotations, 'apikeys-b');
    clock.advance(OVERLAP_MS);
    const results = await scheduler.tick();
    expect(await cancelled).toMatchObject({ id: b.id, state: 'CANCELLED' });
    expect(upstream.calls).toEqual(['apikeys-a']);
    expect(results.map((r) => r.outcome)).toEqual(['COMPLETED', 'SKIPPED']);
    expect(await rotations.get(b.id)).toMatchObject({ state: 'CANCELLED' });
  });

  it('renews the claim before each revoke of a batch, so a later one cannot be cancelled while it runs', async () => {
    const leaseMs = 300_000;
    const refused: unknown[] = [];
    const upstream = provider(async (rotation): Promise<RevokeOutcome> => {
      clock.advance(leaseMs - 1); // each revoke takes almost the whole lease
      if (rotation.oldKeyId === 'apikeys-b') refused.push(await rotations.cancel(b.id).catch((error: unknown) => error));
      return 'REVOKED';
    });
    const { clock, rotations, scheduler } = await setup({ revoke: upstream.revoke, leaseMs });
    await overlapping(rotations, 'apikeys-a');
    const b = await overlapping(rotations, 'apikeys-b');
    clock.advance(OVERLAP_MS);
    expect((await scheduler.tick()).map((r) => r.outcome)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(upstream.calls).toEqual(['apikeys-a', 'apikeys-b']);
    expect(refused).toEqual([expect.objectContaining({ code: 'CONFLICT' })]);
  });

  it('revokeNow (completeRotation) carries the revocation out within the call', async () => {
    const { rotations, upstream, scheduler } = await setup();
    const r = await overlapping(rotations, 'apikeys-1');
    const done = await scheduler.revokeNow(r.id);
    expect(done).toMatchObject({ id: r.id, state: 'COMPLETED', attempts: 1 });
    expect(upstream.calls).toEqual(['apikeys-1']);
    // Again: nothing left to do, and nothing is called.
    expect(await scheduler.revokeNow(r.id)).toEqual(done);
    expect(upstream.calls).toEqual(['apikeys-1']);
  });

  it('start() runs passes by itself; close() waits for the revocation in progress and records it', async () => {
    const held = deferred<RevokeOutcome>();
    const called = deferred<string>();
    const { clock, rotations, scheduler } = await setup({
      intervalMs: 5,
      revoke: (rotation) => {
        called.resolve(rotation.oldKeyId);
        return held.promise;
      },
    });
    const r = await overlapping(rotations, 'apikeys-1');
    clock.advance(OVERLAP_MS);
    scheduler.start();
    expect(await called.promise).toBe('apikeys-1');

    let closed = false;
    const closing = scheduler.close().then(() => (closed = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // the revoke is still held: close() must not return before it is recorded
    held.resolve('REVOKED');
    await closing;
    expect((await rotations.get(r.id)).state).toBe('COMPLETED');
  });

  it.runIf(backend.name === 'postgres')(
    'two schedulers on one database: while one holds its claim open, the other skips those rows; each key is revoked once',
    async () => {
      const url = await backend.freshUrl();
      const clock = new TestClock();
      const [storeA, storeB] = await Promise.all([openTestStore(backend, { url }), openTestStore(backend, { url })]);
      const rotationsA = new Rotations(storeA, { clock: clock.now });
      const rotationsB = new Rotations(storeB, { clock: clock.now });
      for (const id of ['k1', 'k2', 'k3']) await overlapping(rotationsA, id);
      clock.advance(OVERLAP_MS);

      const upstream = provider();
      const locked = deferred();
      const release = deferred();
      let holdOnce = true;
      const a = new RevocationScheduler(rotationsA, {
        owner: 'a',
        revoke: upstream.revoke,
        whileClaiming: async () => {
          if (!holdOnce) return;
          holdOnce = false;
          locked.resolve();
          await release.promise;
        },
      });
      const b = new RevocationScheduler(rotationsB, { owner: 'b', revoke: upstream.revoke });

      const passA = a.tick();
      await locked.promise; // A has selected and locked the due rows, and has not claimed them yet
      // B neither waits for A's locks nor takes A's rows. (Without SKIP LOCKED it would block here.)
      expect(await b.tick()).toEqual([]);
      release.resolve();
      const resultsA = await passA;
      expect(resultsA.map((r) => [r.rotation.oldKeyId, r.outcome, r.rotation.claimedBy])).toEqual([
        ['k1', 'COMPLETED', null],
        ['k2', 'COMPLETED', null],
        ['k3', 'COMPLETED', null],
      ]);
      expect(await b.tick()).toEqual([]);
      expect(upstream.calls.sort()).toEqual(['k1', 'k2', 'k3']);
    },
  );

  it.runIf(backend.name === 'postgres')('two schedulers racing over many due keys revoke each exactly once', async () => {
    const url = await backend.freshUrl();
    const clock = new TestClock();
    const stores = await Promise.all([openTestStore(backend, { url }), openTestStore(backend, { url })]);
    const ids = Array.from({ length: 24 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    const seed = new Rotations(stores[0]!, { clock: clock.now });
    for (const id of ids) await overlapping(seed, id);
    clock.advance(OVERLAP_MS);

    // Each revoke yields to the event loop, so the two instances' passes interleave.
    const upstream = provider(async (): Promise<RevokeOutcome> => {
      await new Promise((resolve) => setImmediate(resolve));
      return 'REVOKED';
    });
    const schedulers = stores.map(
      (store, i) => new RevocationScheduler(new Rotations(store, { clock: clock.now }), { owner: `instance-${i}`, revoke: upstream.revoke, batchSize: 3 }),
    );
    const results = (await Promise.all(schedulers.map((s) => s.tick()))).flat();
    expect(results.filter((r) => r.outcome === 'COMPLETED')).toHaveLength(24);
    expect(upstream.calls.sort()).toEqual(ids);
    expect((await seed.list({ first: 100, filter: { states: ['COMPLETED'] } })).edges).toHaveLength(24);
  });
});
