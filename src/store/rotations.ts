import type { Selectable, Updateable } from 'kysely';
import { PROVIDERS, type Provider } from '../upstream/errors.js';
import type { Store } from './db.js';
import { StoreError } from './errors.js';
import { pageOf, type Page } from './page.js';
import { isoTime, systemClock, type Clock, type RotationTable } from './schema.js';
import { assertNoSecrets } from './secrets.js';

/**
 * A key rotation, as a durable record that outlives the process (and a restart) that started it.
 *
 * ```
 *            start()                      recordNewKey()                       scheduler: old key revoked
 *   (none) ─────────► PENDING_CREATE ───────────────────► OVERLAP ─────────────────────────────► COMPLETED
 *                        │    ▲  noteCreateUncertain()     │  ▲ │ revokeNow() (due at once)
 *           failCreate() │    └─(stays, lastError set)     │  │ │
 *                        ▼                                 │  │ └── cancel() ──────────────────► CANCELLED
 *                      FAILED         flagOldKeyUsed(),    ▼  │ revokeNow()                       ▲
 *                                  holdUndelivered(), or      NEEDS_ATTENTION ─── cancel() ────────┘
 *                                  revocation gives up
 * ```
 *
 * - PENDING_CREATE is written BEFORE the provider is asked for the new key, with the name the new key
 *   will get. A crash between "the provider minted it" and "recordNewKey" leaves a PENDING_CREATE
 *   row: `pendingCreates({ olderThan })` finds it, and the gateway looks the key up by `newKeyName`
 *   at the provider, then calls recordNewKey (found) or failCreate (not there).
 * - OVERLAP: both keys live until `revokeOldAt` (now + overlapSeconds, from recordNewKey). The
 *   scheduler revokes the old key then, once across the fleet, retrying with backoff.
 * - NEEDS_ATTENTION: a person must decide. The old key was used after the rotation began
 *   (flagOldKeyUsed), the new key's secret never reached the client (holdUndelivered, lastError
 *   UNDELIVERED), or revoking it failed for good (lastError says why). The scheduler leaves it
 *   alone; revokeNow() or cancel() settle it.
 * - COMPLETED, CANCELLED (both keys stay), FAILED (no new key was made) are final.
 *
 * Every step is idempotent: repeating it with the same arguments returns the rotation as it is.
 * A step that does not fit the current state is a StoreError CONFLICT naming the state. At most one
 * rotation per key is live (not final) at a time; the database enforces it across the fleet.
 * lastError holds an error code (UPSTREAM_TIMEOUT, FORBIDDEN…), never a provider's message.
 */
export type RotationState = 'PENDING_CREATE' | 'OVERLAP' | 'NEEDS_ATTENTION' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export const ROTATION_STATES: readonly RotationState[] = ['PENDING_CREATE', 'OVERLAP', 'NEEDS_ATTENTION', 'COMPLETED', 'CANCELLED', 'FAILED'];
/** The states in which a rotation is live: one per key at a time. */
export const LIVE_STATES: readonly RotationState[] = ['PENDING_CREATE', 'OVERLAP', 'NEEDS_ATTENTION'];

/**
 * Whose credential the rotation acts with: keygate's configured one, or one the request brought
 * (`FORWARDED`), which keygate never keeps: only a request that brings one may revoke its old key.
 */
export type RotationCredential = 'CONFIGURED' | 'FORWARDED';

export interface Rotation {
  id: number;
  provider: Provider;
  account: string;
  oldKeyId: string;
  oldKeyName: string;
  oldKeyHint: string | null;
  /** The name the new key is (or will be) created with: how a crashed create is found at the provider. */
  newKeyName: string;
  newKeyId: string | null;
  newKeyHint: string | null;
  state: RotationState;
  overlapSeconds: number;
  /** When the old key is due to be revoked (set by recordNewKey, or by revokeNow). */
  revokeOldAt: Date | null;
  /** When the old key was seen in use after the rotation began (flagOldKeyUsed). */
  oldKeyUsedAt: Date | null;
  /** Revocation attempts so far (counted when one is claimed, so a crash mid-attempt counts too). */
  attempts: number;
  /** The earliest time the scheduler tries (again). */
  nextAttemptAt: Date | null;
  lastError: string | null;
  /** The scheduler instance holding the revocation, and until when (a lease). */
  claimedBy: string | null;
  claimedUntil: Date | null;
  startedBy: string;
  credential: RotationCredential;
  createdAt: Date;
  updatedAt: Date;
}

export interface StartRotationInput {
  provider: Provider;
  /** The configured account (`default` for the one built from today's variables). */
  account: string;
  /**
   * The provider's own reference to the key, enough to act on it again, as the global id carries it:
   * Octopus `Users-1/apikeys-…` (its routes need the user), Hyperstack `42`. Same for newKeyId.
   */
  oldKeyId: string;
  oldKeyName: string;
  oldKeyHint?: string | null;
  /** The new key's name. Make it unique (it is how a crashed create is found), e.g. `ci (rotated 2026-11-30 12:00)`. */
  newKeyName: string;
  /** How long both keys stay valid once the new one exists. 0 to 90 days. */
  overlapSeconds: number;
  /** Who started it: the client identity, as in audit events. */
  startedBy: string;
  /** Default `CONFIGURED`. */
  credential?: RotationCredential;
}

export interface RotationFilter {
  states?: readonly RotationState[];
  provider?: Provider;
  account?: string;
  oldKeyId?: string;
}

export type RotationPage = Page<Rotation>;

/** Backoff decision for a failed revocation, made by the scheduler. */
export interface RevokeFailure {
  /** An error code, stored as lastError. */
  code: string;
  /** When to try again; null gives up (NEEDS_ATTENTION). */
  retryAt: Date | null;
  /** The old key was seen in use then, after the rotation began (the reason it was not revoked). */
  oldKeyUsedAt?: Date;
}

const MAX_OVERLAP_SECONDS = 90 * 24 * 3600;
const MAX_TEXT = 200;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

export class Rotations {
  readonly clock: Clock;

  constructor(
    private readonly store: Pick<Store, 'db' | 'dialect'>,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  get dialect(): Store['dialect'] {
    return this.store.dialect;
  }

  /**
   * Records the intent to rotate a key: call this BEFORE asking the provider for the new key. CONFLICT
   * when the key already has a live rotation (on any instance); SECRET_REFUSED when a field looks like
   * a secret (a key named like one cannot be rotated until renamed).
   */
  async start(input: StartRotationInput): Promise<Rotation> {
    if (!PROVIDERS.includes(input.provider)) throw new StoreError('BAD_USER_INPUT', 'rotation: unknown provider');
    for (const field of ['account', 'oldKeyId', 'oldKeyName', 'newKeyName', 'startedBy'] as const) {
      const value = input[field];
      if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TEXT) {
        throw new StoreError('BAD_USER_INPUT', `rotation: ${field} must be 1 to ${MAX_TEXT} characters`);
      }
      // PostgreSQL's text cannot hold it; and recovery must find the new key by this exact name.
      if (value.includes('\u0000')) throw new StoreError('BAD_USER_INPUT', `rotation: ${field} contains a NUL character; rename the key first`);
    }
    if (input.oldKeyHint != null && input.oldKeyHint.length > MAX_TEXT) throw new StoreError('BAD_USER_INPUT', 'rotation: oldKeyHint is too long');
    if (!Number.isInteger(input.overlapSeconds) || input.overlapSeconds < 0 || input.overlapSeconds > MAX_OVERLAP_SECONDS) {
      throw new StoreError('BAD_USER_INPUT', `rotation: overlapSeconds must be a whole number from 0 to ${MAX_OVERLAP_SECONDS} (90 days)`);
    }
    const row = {
      provider: input.provider,
      account: input.account,
      oldKeyId: input.oldKeyId,
      oldKeyName: input.oldKeyName,
      oldKeyHint: input.oldKeyHint ?? null,
      newKeyName: input.newKeyName,
      startedBy: input.startedBy,
      credential: input.credential === 'FORWARDED' ? 'FORWARDED' : 'CONFIGURED',
    };
    assertNoSecrets(row, 'rotation');
    const now = isoTime(this.clock());
    try {
      const inserted = await this.store.db
        .insertInto('rotations')
        .values({ ...row, state: 'PENDING_CREATE', overlapSeconds: input.overlapSeconds, attempts: 0, createdAt: now, updatedAt: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRotation(inserted);
    } catch (error) {
      // The unique index on live rotations per key refused it (each driver words that differently,
      // so ask the table rather than the error).
      const live = await this.liveFor(input.provider, input.account, input.oldKeyId);
      if (live) throw new StoreError('CONFLICT', `key ${input.oldKeyId} is already being rotated (rotation ${live.id}, ${live.state})`);
      throw error;
    }
  }

  /**
   * The new key exists at the provider: PENDING_CREATE → OVERLAP, old key due at now + overlapSeconds.
   * `undelivered`: its secret is known to have reached no one, so the same write holds the rotation
   * (NEEDS_ATTENTION, as holdUndelivered), with no moment in which a scheduler could claim it.
   */
  async recordNewKey(id: number, key: { newKeyId: string; newKeyHint?: string | null }, options: { undelivered?: boolean } = {}): Promise<Rotation> {
    if (typeof key.newKeyId !== 'string' || key.newKeyId.trim() === '' || key.newKeyId.length > MAX_TEXT) {
      throw new StoreError('BAD_USER_INPUT', 'rotation: newKeyId must be 1 to 200 characters');
    }
    const fields = { newKeyId: key.newKeyId, newKeyHint: key.newKeyHint ?? null };
    assertNoSecrets(fields, 'rotation');
    const current = await this.get(id);
    const now = this.clock();
    const revokeOldAt = isoTime(new Date(now.getTime() + current.overlapSeconds * 1000));
    return this.transition(id, {
      from: ['PENDING_CREATE'],
      set: options.undelivered
        ? { ...fields, state: 'NEEDS_ATTENTION', revokeOldAt, nextAttemptAt: null, lastError: 'UNDELIVERED' }
        : { ...fields, state: 'OVERLAP', revokeOldAt, nextAttemptAt: revokeOldAt, lastError: null },
      done: (r) => r.newKeyId === key.newKeyId && r.state !== 'FAILED' && r.state !== 'PENDING_CREATE',
      step: 'record the new key',
    });
  }

  /** The provider refused to create the new key (no key was made): PENDING_CREATE → FAILED. */
  async failCreate(id: number, errorCode: string): Promise<Rotation> {
    checkCode(errorCode);
    return this.transition(id, {
      from: ['PENDING_CREATE'],
      set: { state: 'FAILED', lastError: errorCode },
      done: (r) => r.state === 'FAILED',
      step: 'fail the creation',
    });
  }

  /**
   * The create's outcome is unknown (timeout, 5xx: the key may exist). The rotation stays
   * PENDING_CREATE with lastError set, for the recovery that looks the key up by name.
   */
  async noteCreateUncertain(id: number, errorCode: string): Promise<Rotation> {
    checkCode(errorCode);
    return this.transition(id, {
      from: ['PENDING_CREATE'],
      set: { lastError: errorCode },
      done: () => false,
      step: 'note an uncertain creation',
    });
  }

  /**
   * PENDING_CREATE rotations not touched since `olderThan`: creates that crashed or timed out. Give
   * `olderThan` a margin over the provider timeout, so a create still in flight on another instance
   * is not taken for a crashed one.
   */
  async pendingCreates(olderThan: Date): Promise<Rotation[]> {
    const rows = await this.store.db
      .selectFrom('rotations')
      .selectAll()
      .where('state', '=', 'PENDING_CREATE')
      .where('updatedAt', '<', isoTime(olderThan))
      .orderBy('id')
      .execute();
    return rows.map(toRotation);
  }

  /** The old key was used after the rotation began: OVERLAP → NEEDS_ATTENTION; the scheduler will not revoke it. */
  async flagOldKeyUsed(id: number, usedAt: Date): Promise<Rotation> {
    return this.transition(id, {
      from: ['OVERLAP'],
      unclaimed: true,
      set: { state: 'NEEDS_ATTENTION', oldKeyUsedAt: isoTime(usedAt) },
      done: (r) => r.state === 'NEEDS_ATTENTION',
      step: 'flag the old key as used',
    });
  }

  /**
   * Revoke the old key as soon as possible (completeRotation): OVERLAP or NEEDS_ATTENTION → OVERLAP,
   * due now, attempts reset. RevocationScheduler.revokeNow() also carries it out at once.
   */
  async revokeNow(id: number): Promise<Rotation> {
    const now = isoTime(this.clock());
    return this.transition(id, {
      from: ['OVERLAP', 'NEEDS_ATTENTION'],
      unclaimed: true,
      set: { state: 'OVERLAP', revokeOldAt: now, nextAttemptAt: now, attempts: 0, lastError: null },
      done: (r) => r.state === 'COMPLETED',
      step: 'revoke the old key now',
    });
  }

  /**
   * The answer holding the new key's secret never reached the client: OVERLAP → NEEDS_ATTENTION, so
   * the old key, the only one anyone holds, is not revoked on schedule. lastError says why.
   */
  async holdUndelivered(id: number): Promise<Rotation> {
    return this.transition(id, {
      from: ['OVERLAP'],
      unclaimed: true,
      set: { state: 'NEEDS_ATTENTION', lastError: 'UNDELIVERED' },
      done: (r) => r.state === 'NEEDS_ATTENTION',
      step: 'hold an undelivered rotation',
    });
  }

  /** Keep both keys: OVERLAP or NEEDS_ATTENTION → CANCELLED. Not while the new key's creation is unsettled. */
  async cancel(id: number): Promise<Rotation> {
    return this.transition(id, {
      from: ['OVERLAP', 'NEEDS_ATTENTION'],
      unclaimed: true,
      set: { state: 'CANCELLED' },
      done: (r) => r.state === 'CANCELLED',
      step: 'cancel',
    });
  }

  /** NOT_FOUND when there is no such rotation. */
  async get(id: number): Promise<Rotation> {
    const row = await this.find(id);
    if (!row) throw new StoreError('NOT_FOUND', `no rotation ${id}`);
    return row;
  }

  async find(id: number): Promise<Rotation | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const row = await this.store.db.selectFrom('rotations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRotation(row);
  }

  /** Whether a rotation recorded this key as its replacement: its secret went to that rotation's client. */
  async isReplacement(provider: Provider, account: string, newKeyId: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('rotations')
      .select('id')
      .where('provider', '=', provider)
      .where('account', '=', account)
      .where('newKeyId', '=', newKeyId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The key's live rotation, if it has one. */
  async liveFor(provider: Provider, account: string, oldKeyId: string): Promise<Rotation | undefined> {
    const row = await this.store.db
      .selectFrom('rotations')
      .selectAll()
      .where('provider', '=', provider)
      .where('account', '=', account)
      .where('oldKeyId', '=', oldKeyId)
      .where('state', 'in', LIVE_STATES)
      .executeTakeFirst();
    return row && toRotation(row);
  }

  /** Newest first (by id), `first` at a time (default 50, at most 500). */
  async list(args: { first?: number | null; after?: string | null; filter?: RotationFilter | null } = {}): Promise<RotationPage> {
    const first = args.first ?? 50;
    if (!Number.isInteger(first) || first < 0 || first > 500) throw new StoreError('BAD_USER_INPUT', 'first must be a whole number from 0 to 500');
    let afterId: number | undefined;
    if (args.after) {
      const match = /^rotation:(\d{1,15})$/.exec(Buffer.from(args.after, 'base64url').toString());
      if (!match || args.after.length > 60) throw new StoreError('BAD_USER_INPUT', 'after is not a cursor from this list');
      afterId = Number(match[1]);
    }
    const filter = args.filter ?? {};
    const rows = await this.store.db
      .selectFrom('rotations')
      .selectAll()
      .$if(filter.states !== undefined && filter.states.length > 0, (q) => q.where('state', 'in', filter.states!))
      .$if(filter.provider !== undefined, (q) => q.where('provider', '=', filter.provider!))
      .$if(filter.account !== undefined, (q) => q.where('account', '=', filter.account!))
      .$if(filter.oldKeyId !== undefined, (q) => q.where('oldKeyId', '=', filter.oldKeyId!))
      .$if(afterId !== undefined, (q) => q.where('id', '<', afterId!))
      .orderBy('id', 'desc')
      .limit(first + 1)
      .execute();
    return pageOf(rows, first, (row) => Buffer.from(`rotation:${row.id}`).toString('base64url'), toRotation);
  }

  // ---- The scheduler's side (scheduler.ts). `owner` is the scheduler instance's id. ----

  /**
   * Claims up to `limit` OVERLAP rotations whose old key is due, for `leaseMs`, and counts an attempt
   * on each. A claimed rotation is invisible to every other claimer until its lease ends, so each is
   * handed to one scheduler. On PostgreSQL the due rows are locked FOR UPDATE SKIP LOCKED inside the
   * claiming transaction: two instances claiming at once never wait on each other and never both take
   * a row (a row claimed meanwhile fails the re-checked lease condition). SQLite has one writer.
   * `whileLocked` runs between the select and the update (tests hold it to prove the above).
   */
  async claimDue(options: { owner: string; leaseMs: number; limit: number; whileLocked?: () => Promise<void> }): Promise<Rotation[]> {
    const now = isoTime(this.clock());
    const until = isoTime(new Date(this.clock().getTime() + options.leaseMs));
    return this.store.db.transaction().execute(async (trx) => {
      const due = await trx
        .selectFrom('rotations')
        .select('id')
        .where('state', '=', 'OVERLAP')
        .where('revokeOldAt', '<=', now)
        .where('nextAttemptAt', '<=', now)
        .where((eb) => eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<=', now)]))
        .orderBy('revokeOldAt')
        .orderBy('id')
        .limit(options.limit)
        .$if(this.store.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .execute();
      await options.whileLocked?.();
      if (due.length === 0) return [];
      const claimed = await trx
        .updateTable('rotations')
        .set((eb) => ({ claimedBy: options.owner, claimedUntil: until, attempts: eb('attempts', '+', 1), updatedAt: now }))
        .where(
          'id',
          'in',
          due.map((row) => row.id),
        )
        .returningAll()
        .execute();
      return claimed.map(toRotation).sort((a, b) => a.id - b.id);
    });
  }

  /** Claims one rotation now, whether or not its time has come (for completeRotation). Undefined if it is not OVERLAP or is claimed. */
  async claimOne(id: number, options: { owner: string; leaseMs: number }): Promise<Rotation | undefined> {
    const now = isoTime(this.clock());
    const row = await this.store.db
      .updateTable('rotations')
      .set((eb) => ({
        claimedBy: options.owner,
        claimedUntil: isoTime(new Date(this.clock().getTime() + options.leaseMs)),
        attempts: eb('attempts', '+', 1),
        updatedAt: now,
      }))
      .where('id', '=', id)
      .where('state', '=', 'OVERLAP')
      .where((eb) => eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<=', now)]))
      .returningAll()
      .executeTakeFirst();
    return row && toRotation(row);
  }

  /**
   * Renews the claim of `owner` on an OVERLAP rotation just before its revoke is sent, for `leaseMs`
   * from now. A batch is claimed under one lease and revoked one after another: by the time a later
   * one's turn comes, its lease may have run out and someone may have cancelled it, held it or
   * flagged its old key as used, or another instance claimed it. Undefined then: leave it alone.
   */
  async renewClaim(id: number, options: { owner: string; leaseMs: number }): Promise<Rotation | undefined> {
    const row = await this.store.db
      .updateTable('rotations')
      .set({ claimedUntil: isoTime(new Date(this.clock().getTime() + options.leaseMs)), updatedAt: isoTime(this.clock()) })
      .where('id', '=', id)
      .where('claimedBy', '=', options.owner)
      .where('state', '=', 'OVERLAP')
      .returningAll()
      .executeTakeFirst();
    return row && toRotation(row);
  }

  /**
   * The old key is gone: → COMPLETED. Written only by the claim's holder; false when the claim was
   * lost (its lease ran out and another instance took it over), in which case that one records it.
   * Whatever happened to the record meanwhile, a revoked old key makes the rotation COMPLETED.
   */
  async recordRevoked(id: number, owner: string): Promise<boolean> {
    const result = await this.store.db
      .updateTable('rotations')
      .set({ state: 'COMPLETED', claimedBy: null, claimedUntil: null, nextAttemptAt: null, lastError: null, updatedAt: isoTime(this.clock()) })
      .where('id', '=', id)
      .where('claimedBy', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A revocation attempt failed: release the claim and retry at `retryAt`, or give up (NEEDS_ATTENTION). */
  async recordRevokeFailure(id: number, owner: string, failure: RevokeFailure): Promise<boolean> {
    checkCode(failure.code);
    const result = await this.store.db
      .updateTable('rotations')
      .set({
        state: failure.retryAt ? 'OVERLAP' : 'NEEDS_ATTENTION',
        lastError: failure.code,
        ...(failure.oldKeyUsedAt ? { oldKeyUsedAt: isoTime(failure.oldKeyUsedAt) } : {}),
        nextAttemptAt: failure.retryAt ? isoTime(failure.retryAt) : null,
        claimedBy: null,
        claimedUntil: null,
        updatedAt: isoTime(this.clock()),
      })
      .where('id', '=', id)
      .where('claimedBy', '=', owner)
      .where('state', '=', 'OVERLAP')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * A compare-and-set step: updates the rotation only if it is in one of `from` (and, with
   * `unclaimed`, not being revoked right now). Otherwise it is returned unchanged when `done` says
   * the step already happened, and is a CONFLICT when it did not.
   */
  private async transition(
    id: number,
    step: { from: RotationState[]; unclaimed?: boolean; set: Updateable<RotationTable>; done(r: Rotation): boolean; step: string },
  ): Promise<Rotation> {
    const now = isoTime(this.clock());
    const row = await this.store.db
      .updateTable('rotations')
      .set({ ...step.set, updatedAt: now })
      .where('id', '=', id)
      .where('state', 'in', step.from)
      .$if(step.unclaimed === true, (q) => q.where((eb) => eb.or([eb('claimedUntil', 'is', null), eb('claimedUntil', '<=', now)])))
      .returningAll()
      .executeTakeFirst();
    if (row) return toRotation(row);
    const current = await this.get(id);
    if (step.done(current)) return current;
    if (step.from.includes(current.state)) {
      throw new StoreError('CONFLICT', `rotation ${id}: the old key is being revoked right now; try again shortly`);
    }
    throw new StoreError('CONFLICT', `rotation ${id} is ${current.state}: cannot ${step.step}`);
  }
}

function checkCode(code: string): void {
  if (typeof code !== 'string' || !ERROR_CODE.test(code)) throw new StoreError('BAD_USER_INPUT', 'rotation: an error code (UPPER_CASE) is expected, not a message');
}

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

function toRotation(row: Selectable<RotationTable>): Rotation {
  return {
    id: row.id,
    provider: row.provider as Provider,
    account: row.account,
    oldKeyId: row.oldKeyId,
    oldKeyName: row.oldKeyName,
    oldKeyHint: row.oldKeyHint,
    newKeyName: row.newKeyName,
    newKeyId: row.newKeyId,
    newKeyHint: row.newKeyHint,
    state: row.state as RotationState,
    overlapSeconds: row.overlapSeconds,
    revokeOldAt: date(row.revokeOldAt),
    oldKeyUsedAt: date(row.oldKeyUsedAt),
    attempts: row.attempts,
    nextAttemptAt: date(row.nextAttemptAt),
    lastError: row.lastError,
    claimedBy: row.claimedBy,
    claimedUntil: date(row.claimedUntil),
    startedBy: row.startedBy,
    credential: row.credential === 'FORWARDED' ? 'FORWARDED' : 'CONFIGURED',
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}
