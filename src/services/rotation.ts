// Rotating a key without an outage: mint the replacement, let consumers move during an overlap,
// then revoke the old key, once, across a fleet. Every step is recorded in the store before and
// after the provider is asked, so a retried or crashed rotation never leaves two replacements, or a
// revoked key without its replacement. The store holds no secret and no credential: a delayed
// revocation uses the account's configured credential, read when it runs.
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GraphQLError } from 'graphql';
import type { Config } from '../config.js';
import { isErrorCode, nameOf, providerNames, type ApiKeyRecord, type CreatedKey, type Provider } from '../domain.js';
import { badUserInput, fromStore, gatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  MAX_PAGE_SIZE,
  RevocationScheduler,
  Rotations,
  StoreError,
  classifyRevokeError,
  type AuditEvent,
  type AuditEventFilter,
  type AuditEvents,
  type AuditTrail,
  type RevocationResult,
  type RevokeOutcome,
  type Rotation,
  type RotationPage,
  type RotationState,
  type Clock,
  type Store,
} from '../store/index.js';
import { secretShape } from '../secret-shapes.js';
import { mayHaveTakenEffect, UpstreamError } from '../upstream/errors.js';
import { CREATE_CALLS, RequestLoaders } from '../upstream/loaders.js';
import type { AccountRuntime, Upstreams } from '../upstream/upstreams.js';
import { creating, type ApiKeyService } from './api-keys.js';
import type { RequestAudit } from './audit.js';
import { keyRef } from './key-ids.js';

export const ROTATION_TYPENAME = 'Rotation';

/** How many upstream timeouts a rotation's writes at the provider may take after its last recorded step. */
const IN_FLIGHT_TIMEOUTS = 4;
/** How far a provider's clock and keygate's may differ when recovery compares a key's creation time. */
const CLOCK_SKEW_MS = 60_000;

/** The mutation that hands a new key's secret to a client, per provider (see RotationRunner.handedOut). */
const CREATE_OPERATION: Record<Provider, string> = { OCTOPUS: 'createOctopusApiKey', HYPERSTACK: 'generateHyperstackApiKey' };

const DELIVERED_DETAIL =
  'the replacement was handed out by an instance that could not record it, which stopped before it could: both keys kept. Revoke the old key once the new one is in use, or the new one if nobody received it';

const UNSURE_DETAIL =
  "a key of the replacement's name, made after keygate answered that the outcome was unknown: the replacement, or someone's own key made at the provider. Left in place, and the old key too: revoke this one if nobody holds its secret";

/**
 * The longest lifetime a replacement asks for: a day under Octopus' default maximum (366 days since
 * 2025.4, contracts/octopus.md §3.1), so a server whose clock differs from keygate's never refuses it.
 */
const OCTOPUS_REPLACEMENT_MAX_LIFETIME_MS = 365 * 86_400_000;

/** The global id of the key a stored reference names. */
export function keyGlobalId(provider: Provider, account: string, ref: string): string {
  return encodeGlobalID(provider === 'OCTOPUS' ? 'OctopusApiKey' : 'HyperstackApiKey', `${account}/${ref}`);
}

export function rotationGlobalId(rotation: Rotation): string {
  return encodeGlobalID(ROTATION_TYPENAME, String(rotation.id));
}

/** An Octopus old key seen in use after its rotation began: not revoked silently. */
class OldKeyInUse extends Error {
  readonly code = 'OLD_KEY_IN_USE';
  constructor(readonly usedAt: Date) {
    super(`used at ${usedAt.toISOString()}`);
  }
}

/** The scheduler met a rotation whose hold (its replacement undelivered) has not reached the store yet. */
class HoldPending extends Error {}

/** What a client whose rotation acts with its own credential is told when the old key was not revoked. */
const ONLY_WITH_THAT_CREDENTIAL =
  'keygate never keeps the credential this request brought, so it cannot revoke the old key later by itself: run completeRotation with the same credential, or revoke the old key yourself and cancel the rotation.';

/** Why completeRotation left the old key: the scheduler recorded the failure (lastError), or another instance holds the claim. */
function notRevoked(rotation: Rotation): GraphQLError {
  const { lastError } = rotation;
  if (lastError === null) {
    return gatewayError('CONFLICT', "Another keygate instance is revoking this rotation's old key right now; look at the rotation again shortly.");
  }
  if (lastError === 'UNAUTHENTICATED' && rotation.credential === 'FORWARDED') {
    return gatewayError('UNAUTHENTICATED', `The old key was not revoked: ${ONLY_WITH_THAT_CREDENTIAL}`, rotation.provider);
  }
  const code = isErrorCode(lastError) ? lastError : 'SERVICE_UNAVAILABLE';
  const next = rotation.state === 'OVERLAP' ? "keygate's scheduler tries again." : 'the rotation needs attention.';
  return gatewayError(code, `Revoking the old key failed (${lastError}); ${next}`, rotation.provider);
}

/**
 * A revocation only a person can finish: the rotation acts with a credential a request brought,
 * which keygate never keeps, so no later attempt of its own can make it. `code` is why (stored as
 * lastError): the request's failure, or UNAUTHENTICATED when no such credential came.
 */
class NeedsItsCredential extends Error {
  constructor(readonly code: string) {
    super(`revoking needs the credential the rotation was made with (${code})`);
  }
}

/**
 * The process-wide side of rotations: the store's records, the scheduler that revokes old keys when
 * their overlap ends (once across a fleet), and recovery of rotations a crash left half done.
 */
export class RotationRunner {
  readonly rotations: Rotations;
  readonly scheduler: RevocationScheduler;
  /** Revocations a request asked for now: no in-use check, and with that request's credentials. */
  private readonly inline = new Map<number, RequestLoaders | undefined>();
  /**
   * Replacements whose secret went out while the store could not record them (rotation id → the new
   * key). Recovery must never take one for an orphan: each pass records them first, and skips them.
   */
  private readonly unrecorded = new Map<number, NewKeyRecord>();
  /**
   * Rotations whose replacement's secret reached no one, not held in the store yet (it failed, or a
   * revocation had the row claimed): each recovery pass (and close) tries again, and the scheduler
   * may not revoke their old key meanwhile.
   */
  private readonly unheld = new Set<number>();
  private recovery?: NodeJS.Timeout;
  private recovering?: Promise<void>;
  private closed = false;

  constructor(
    store: Store,
    private readonly deps: {
      upstreams: Upstreams;
      trail: AuditTrail;
      /** The audit trail's events: recovery never takes a key a create handed out for an orphan. */
      events: AuditEvents;
      config: Pick<Config, 'lists' | 'upstream' | 'rotation'>;
      logger: Logger;
      clock?: Clock;
    },
  ) {
    this.rotations = new Rotations(store, { clock: deps.clock });
    this.scheduler = new RevocationScheduler(this.rotations, {
      revoke: (rotation) => this.revoke(rotation),
      classify: (error) =>
        error instanceof OldKeyInUse
          ? { code: error.code, retry: false, oldKeyUsedAt: error.usedAt }
          : error instanceof NeedsItsCredential
            ? { code: error.code, retry: false }
            : error instanceof HoldPending
              ? { code: 'UNDELIVERED', retry: true }
              : classifyRevokeError(error),
      onResult: (result) => this.audited(result),
      intervalMs: deps.config.rotation.schedulerIntervalMs,
      // Renewed before each revocation: longer than one, with its timeouts, retries and queue waits.
      leaseMs: Math.max(300_000, deps.config.upstream.timeoutMs * 30),
      hooks: store.hooks,
      logger: deps.logger,
    });
  }

  start(): void {
    this.scheduler.start();
    // One recovery pass at a time: the next is scheduled when this one has ended.
    const loop = () => {
      this.recovering = this.recover()
        .catch((error: unknown) => this.deps.logger.error({ err: (error as Error).message }, 'rotation recovery failed; the next pass tries again'))
        .finally(() => {
          if (this.closed) return;
          this.recovery = setTimeout(loop, this.deps.config.rotation.schedulerIntervalMs);
          this.recovery.unref();
        });
    };
    loop();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.recovery);
    await Promise.all([this.scheduler.close(), this.recovering]);
    await this.recordDelivered();
    await this.holdAll();
    for (const [id, key] of this.unrecorded) {
      this.deps.logger.error(
        { rotation: id, newKeyId: key.newKeyId },
        'stopping with a rotation whose replacement was delivered but never recorded: unless its audit event reached the store, recovery may take that key for an orphan and revoke it (the old key stays)',
      );
    }
  }

  /** The secret of this rotation's replacement went out, but the store could not record the key: keep trying. */
  recordLater(id: number, key: NewKeyRecord): void {
    this.unrecorded.set(id, key);
  }

  /**
   * The answer holding a replacement's secret never reached its client. A recorded rotation is held
   * (NEEDS_ATTENTION): its old key, the only one anyone holds, is not revoked on schedule. One the
   * store has not recorded yet is forgotten: it stays PENDING_CREATE, and recovery takes its
   * replacement for the orphan it is (revokes it, and leaves the old key).
   */
  undelivered(id: number): Promise<void> {
    this.unrecorded.delete(id);
    this.unheld.add(id);
    return this.hold(id);
  }

  private async holdAll(): Promise<void> {
    for (const id of [...this.unheld]) await this.hold(id);
  }

  private async hold(id: number): Promise<void> {
    try {
      await this.rotations.holdUndelivered(id);
      // Only the first of concurrent holds of one rotation says so.
      if (this.unheld.delete(id)) this.deps.logger.warn({ rotation: id }, "a rotation's new secret never reached its client: held for a person (NEEDS_ATTENTION), the old key stays");
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'CONFLICT')) {
        this.deps.logger.warn({ rotation: id }, "a rotation's new secret never reached its client, and the store could not hold it yet: the next recovery pass retries; its old key is not revoked meanwhile");
        return;
      }
      const state = (await this.rotations.find(id).catch(() => undefined))?.state;
      if (state === 'OVERLAP') return; // claimed by a revocation this instance refuses (see revoke): the next pass retries
      // PENDING_CREATE or FAILED: never recorded, so recovery revokes the replacement as an orphan.
      if (this.unheld.delete(id) && state !== 'PENDING_CREATE' && state !== 'FAILED') {
        this.deps.logger.error({ rotation: id, state, err: error.message }, "a rotation's new secret never reached its client, and the rotation could not be held: check both keys");
      }
    }
  }

  /** Records the replacements delivered while the store was failing (each recovery pass, and at close). */
  private async recordDelivered(): Promise<void> {
    for (const [id, key] of this.unrecorded) {
      try {
        await this.rotations.recordNewKey(id, key);
        this.unrecorded.delete(id);
        this.deps.logger.info({ rotation: id }, 'recorded a delivered replacement the store had refused');
      } catch (error) {
        // Settled meanwhile (another instance's recovery): retrying cannot help. Anything else is the
        // database failing still: the next pass retries.
        if (error instanceof StoreError && (error.code === 'CONFLICT' || error.code === 'NOT_FOUND')) {
          this.unrecorded.delete(id);
          this.deps.logger.error({ rotation: id, newKeyId: key.newKeyId }, 'a delivered replacement could not be recorded: its rotation was settled meanwhile; check both keys');
        }
      }
    }
  }

  /** Revokes a rotation's old key now (completeRotation, or an overlap of 0), with a request's credentials if given. */
  async revokeNow(id: number, loaders?: RequestLoaders): Promise<Rotation> {
    this.inline.set(id, loaders);
    try {
      return await this.scheduler.revokeNow(id);
    } finally {
      this.inline.delete(id);
    }
  }

  /** Loaders with the configured credentials only: the scheduler acts for no request. */
  private configuredLoaders(): RequestLoaders {
    const { lists } = this.deps.config;
    return new RequestLoaders(this.deps.upstreams, {}, { maxUpstreamCalls: 1_000, pageSize: lists.octopusPageSize, maxKeys: lists.maxKeys });
  }

  private runtimeOf(rotation: Pick<Rotation, 'provider' | 'account'>): AccountRuntime {
    const runtime = this.deps.upstreams.find(rotation.provider, rotation.account);
    if (!runtime) throw new UpstreamError(rotation.provider, 'BAD_USER_INPUT', `Account "${rotation.account}" is no longer configured.`);
    return runtime;
  }

  /** The scheduler's callback: delete the old key, unless (Octopus) it was used after the rotation began. */
  private async revoke(rotation: Rotation): Promise<RevokeOutcome> {
    // Its replacement's secret reached no one, and the hold is not in the store yet: keep the old key.
    if (this.unheld.has(rotation.id)) throw new HoldPending();
    const requested = this.inline.has(rotation.id);
    const loaders = this.inline.get(rotation.id) ?? this.configuredLoaders();
    const runtime = this.runtimeOf(rotation);
    // Made with a credential a request brought: keygate's own may not see that user's keys at all
    // (Hyperstack keys are personal: another user's is "not found"), so only a request that brings
    // one revokes it, and a "not found" proves nothing. Either way a failure is for a person.
    const forwarded = rotation.credential === 'FORWARDED';
    if (forwarded && !loaders.usesForwardedCredential(runtime)) throw new NeedsItsCredential('UNAUTHENTICATED');
    try {
      if (rotation.provider === 'OCTOPUS') {
        const [userId, keyId] = rotation.oldKeyId.split('/') as [string, string];
        const session = loaders.octopus(runtime);
        if (!requested) {
          const old = await session.key(userId, keyId);
          if (!old) return 'ALREADY_GONE';
          if (old.lastUsedAt && old.lastUsedAt > rotation.createdAt) throw new OldKeyInUse(old.lastUsedAt);
        }
        await session.write('revoking a rotated Octopus key', (client) => client.deleteKey(userId, keyId));
        session.forget(userId);
      } else {
        const session = loaders.hyperstack(runtime);
        await session.write('revoking a rotated Hyperstack key', (client) => client.deleteKey(rotation.oldKeyId));
        session.forget();
      }
      return 'REVOKED';
    } catch (error) {
      if (forwarded) throw new NeedsItsCredential(classifyRevokeError(error).code);
      if (error instanceof UpstreamError && error.code === 'NOT_FOUND') return 'ALREADY_GONE';
      throw error;
    }
  }

  /** Scheduled revocations leave an audit event; one a request asked for is in that request's event. */
  private audited(result: RevocationResult): void {
    if (this.inline.has(result.rotation.id) || result.outcome === 'SKIPPED') return; // nothing was done
    const { rotation } = result;
    void this.deps.trail.record({
      client: 'keygate:scheduler',
      operation: 'scheduledRevoke',
      provider: rotation.provider,
      account: rotation.account,
      keyId: rotation.oldKeyId,
      keyName: rotation.oldKeyName,
      keyHint: rotation.oldKeyHint,
      outcome: result.outcome === 'COMPLETED' ? 'OK' : (result.code ?? result.outcome),
      detail: `rotation ${rotation.id}: ${result.outcome}`,
    });
  }

  /**
   * Rotations a crash left in PENDING_CREATE (the provider was asked for the new key, the answer
   * never recorded), or whose create's outcome was unknown. The new key's secret never reached anyone
   * (the response is sent after the record), so a replacement found at the provider is an orphan: it
   * is revoked, and the rotation fails with the old key untouched (a renamed Hyperstack key gets its
   * name back). Only rotations older than any rotation still in flight are looked at
   * (ROTATION_RECOVERY_DELAY_MS, see recoveryDelay in config.ts: the provider's writes, the store's
   * record of the new key and the instances' clocks). Each rotation
   * is settled on its own: one that cannot be (its account gone, the provider down) waits for the
   * next pass without holding up the others.
   */
  async recover(): Promise<void> {
    await this.deps.trail.settle(); // this instance's creates are in the trail before it is searched (handedOut)
    await this.recordDelivered();
    await this.holdAll();
    const olderThan = new Date(this.rotations.clock().getTime() - this.deps.config.rotation.recoveryDelayMs);
    for (const rotation of await this.rotations.pendingCreates(olderThan)) {
      if (this.unrecorded.has(rotation.id)) continue; // its secret went out: not an orphan
      try {
        await this.settle(rotation);
      } catch (error) {
        this.deps.logger.error({ rotation: rotation.id, code: codeOf(error) }, 'a crashed rotation could not be settled yet; the next recovery pass tries again');
      }
    }
  }

  private async settle(rotation: Rotation): Promise<void> {
    // Started with a request's own credential (revokeOldAfter: 0), or its account since removed:
    // recovery has no credential to look with, and never will by itself. Waiting would keep the key
    // from ever being rotated again; a person is told what to look for instead.
    const found = this.deps.upstreams.find(rotation.provider, rotation.account);
    const cannotLook = !found
      ? 'is no longer configured'
      : rotation.credential === 'FORWARDED'
        ? 'was rotated with a credential the request brought, which keygate never keeps'
        : !(found.config.apiKey || found.config.accessToken)
          ? 'has no configured credential'
          : undefined;
    if (cannotLook) {
      // The trail alone says whether its answer went out: a replacement handed out is kept.
      const [delivered] = await this.deliveredReplacements(rotation);
      if (delivered) return this.keepDelivered(rotation, { keyId: delivered, keyName: rotation.newKeyName, keyHint: null });
      return this.leaveToAPerson(rotation, cannotLook);
    }
    const loaders = this.configuredLoaders();
    const runtime = this.runtimeOf(rotation);
    const { orphans, unsure, delivered } = await this.replacementsOf(loaders, runtime, rotation);
    if (delivered) return this.keepDelivered(rotation, { keyId: keyRef(delivered), keyName: nameOf(delivered), keyHint: delivered.keyHint });
    // A key keygate cannot tell from someone's own stays, and so does the old key: a person decides.
    if (unsure.length > 0 || orphans.length > 1) {
      for (const key of [...orphans, ...unsure]) this.recordRecovery(rotation, key, 'REPLACEMENT_UNCERTAIN', UNSURE_DETAIL);
      this.deps.logger.error({ rotation: rotation.id, found: orphans.length + unsure.length }, 'a crashed rotation may have made a key keygate cannot tell from someone\'s own: left for a person');
      if (rotation.provider === 'HYPERSTACK') await this.restoreName(loaders, runtime, rotation);
      await this.rotations.failCreate(rotation.id, 'REPLACEMENT_UNCERTAIN');
      return;
    }
    const orphan = orphans[0];
    if (orphan) {
      // Every reader's cached list forgets it too, whatever the answer (a DELETE may land unanswered).
      if (orphan.provider === 'OCTOPUS') {
        const session = loaders.octopus(runtime);
        await session.write('revoking an orphaned key', (c) => c.deleteKey(orphan.userId, orphan.id)).finally(() => session.forget(orphan.userId));
      } else {
        const session = loaders.hyperstack(runtime);
        await session.write('revoking an orphaned key', (c) => c.deleteKey(orphan.id)).finally(() => session.forget());
      }
      this.recordRecovery(rotation, orphan, 'OK', 'revoked a replacement whose secret reached no one');
    }
    if (rotation.provider === 'HYPERSTACK') await this.restoreName(loaders, runtime, rotation);
    await this.rotations.failCreate(rotation.id, orphan ? 'ORPHAN_REVOKED' : 'NOT_CREATED');
  }

  /**
   * Handed out by an instance whose store failed to record it, which stopped before it could (or
   * its events reached the store first). Its answer was built, but whether it reached the client
   * only that instance could know: revoking the new key may cut off the client, and going on to
   * revoke the old one may leave no key anyone holds. Both stay; a person finishes it.
   */
  private async keepDelivered(rotation: Rotation, key: { keyId: string; keyName: string; keyHint: string | null }): Promise<void> {
    void this.deps.trail.record({
      client: 'keygate:recovery',
      operation: 'rotationRecovery',
      provider: rotation.provider,
      account: rotation.account,
      ...key,
      outcome: 'REPLACEMENT_KEPT',
      detail: `rotation ${rotation.id}: ${DELIVERED_DETAIL}`,
    });
    this.deps.logger.error({ rotation: rotation.id }, 'a rotation\'s replacement was handed out but never recorded: both keys kept, left for a person');
    await this.rotations.failCreate(rotation.id, 'DELIVERED_UNRECORDED');
  }

  private async leaveToAPerson(rotation: Rotation, why: string): Promise<void> {
    const renamed = rotation.provider === 'HYPERSTACK' ? `; the old key may still carry its rotated name instead of "${rotation.oldKeyName}"` : '';
    const detail = `account "${rotation.account}" ${why}, so keygate cannot look for the replacement "${rotation.newKeyName}" it may have made at ${rotation.createdAt.toISOString()}: if a key of that name made then exists, nobody holds its secret; revoke it${renamed}`;
    void this.deps.trail.record({
      client: 'keygate:recovery',
      operation: 'rotationRecovery',
      provider: rotation.provider,
      account: rotation.account,
      keyId: rotation.oldKeyId,
      keyName: rotation.oldKeyName,
      keyHint: rotation.oldKeyHint,
      outcome: 'UNSETTLED',
      detail: `rotation ${rotation.id}: ${detail}`,
    });
    this.deps.logger.error({ rotation: rotation.id, provider: rotation.provider, account: rotation.account }, `a rotation cannot be settled by keygate: ${why}; left for a person (see the audit trail)`);
    await this.rotations.failCreate(rotation.id, 'UNSETTLED');
  }

  private recordRecovery(rotation: Rotation, key: ApiKeyRecord, outcome: string, detail: string): void {
    void this.deps.trail.record({
      client: 'keygate:recovery',
      operation: 'rotationRecovery',
      provider: rotation.provider,
      account: rotation.account,
      keyId: keyRef(key),
      keyName: nameOf(key),
      keyHint: key.keyHint,
      outcome,
      detail: `rotation ${rotation.id}: ${detail}`,
    });
  }

  /**
   * Keys that may be the replacement: the new name, made while the create could have been running
   * (from the rotation's start until its last step, plus the time a rotation may still run after it
   * and a minute for clocks that differ). Never one whose secret someone holds: one keygate handed
   * out (a create in its audit trail: someone who read that the outcome was unknown and made the key
   * again through keygate), or one its provider reports used (Octopus). When keygate had answered
   * that the outcome was unknown (lastError set), a key made after that answer, give or take the
   * minute clocks may differ (a provider's, and Hyperstack's whole seconds), may be someone's own,
   * made at the provider: `unsure`, never revoked. In practice that is every key after such an
   * answer: the create ran within a timeout of it.
   */
  private async replacementsOf(
    loaders: RequestLoaders,
    runtime: AccountRuntime,
    rotation: Rotation,
  ): Promise<{ orphans: ApiKeyRecord[]; unsure: ApiKeyRecord[]; delivered?: ApiKeyRecord }> {
    const from = rotation.createdAt.getTime() - CLOCK_SKEW_MS;
    const until = rotation.updatedAt.getTime() + IN_FLIGHT_TIMEOUTS * this.deps.config.upstream.timeoutMs + CLOCK_SKEW_MS;
    const made = (k: ApiKeyRecord) => k.createdAt === null || (k.createdAt.getTime() >= from && k.createdAt.getTime() <= until);
    // Read afresh: a list this instance shared across requests (LIST_CACHE_TTL_MS, up to ten
    // minutes) may be older than the crash, and would have no orphan in it.
    let named: ApiKeyRecord[];
    if (rotation.provider === 'OCTOPUS') {
      const [userId, oldId] = rotation.oldKeyId.split('/') as [string, string];
      const session = loaders.octopus(runtime);
      session.forget(userId);
      const keys = await session.allKeys(userId);
      named = keys.filter((k) => k.id !== oldId && k.purpose === rotation.newKeyName && made(k));
    } else {
      const session = loaders.hyperstack(runtime);
      session.forget();
      const keys = await session.keys();
      named = keys.filter((k) => k.id !== rotation.oldKeyId && k.name === rotation.newKeyName && made(k));
    }
    const orphans: ApiKeyRecord[] = [];
    const unsure: ApiKeyRecord[] = [];
    const answered = rotation.lastError === null ? undefined : rotation.updatedAt.getTime() - CLOCK_SKEW_MS;
    const deliveredIds = await this.deliveredReplacements(rotation);
    const delivered = named.find((key) => deliveredIds.has(keyRef(key)));
    if (delivered) return { orphans, unsure, delivered };
    for (const key of named) {
      if (key.provider === 'OCTOPUS' && key.lastUsedAt !== null) continue; // used: someone holds its secret
      if (await this.handedOut(rotation, key)) continue;
      if (answered !== undefined && (key.createdAt === null || key.createdAt.getTime() >= answered)) unsure.push(key);
      else orphans.push(key);
    }
    return { orphans, unsure };
  }

  /**
   * The replacements this rotation's own answer handed out, by its audit event (`rotation N;
   * replacement <key>`, outcome OK), less any whose answer then reached no one (UNDELIVERED). The
   * event is written by whichever instance answered, so every instance's recovery sees it once that
   * instance's trail is in the store.
   */
  private async deliveredReplacements(rotation: Rotation): Promise<Set<string>> {
    const { provider, account } = rotation;
    const since = new Date(rotation.createdAt.getTime() - CLOCK_SKEW_MS);
    const prefix = `rotation ${rotation.id}; replacement `;
    const ids = new Set<string>();
    for await (const event of this.eventsOf({ provider, account, keyId: rotation.oldKeyId, operation: 'rotateApiKey', since })) {
      if (event.outcome === 'OK' && event.detail?.startsWith(prefix)) ids.add(event.detail.slice(prefix.length).split(/[ ;]/, 1)[0]!);
    }
    for (const id of ids) {
      for await (const event of this.eventsOf({ provider, account, keyId: id, operation: 'rotateApiKey', since })) {
        if (event.outcome === 'UNDELIVERED') ids.delete(id);
      }
    }
    return ids;
  }

  /** Every event of the filter, page by page: a key retried many times has many (each refusal is one). */
  private async *eventsOf(filter: AuditEventFilter): AsyncGenerator<AuditEvent> {
    let after: string | null = null;
    do {
      const page = await this.deps.events.list({ first: MAX_PAGE_SIZE, after, filter });
      for (const { node } of page.edges) yield node;
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
  }

  /**
   * Whether keygate gave this key's secret to someone: another rotation's recorded replacement, or a
   * create in its audit trail (events still queued in memory while the store was failing are not seen).
   */
  private async handedOut(rotation: Rotation, key: ApiKeyRecord): Promise<boolean> {
    const keyId = keyRef(key);
    if (await this.rotations.isReplacement(rotation.provider, rotation.account, keyId)) return true;
    const filter = { provider: rotation.provider, account: rotation.account, keyId, operation: CREATE_OPERATION[rotation.provider] };
    return (await this.deps.events.list({ first: 1, filter })).edges.length > 0;
  }

  /**
   * The old Hyperstack key was renamed out of the way before its replacement was asked for: name it
   * back. If the name is taken meanwhile (someone made a key of it), the old key keeps its rotated
   * name, and the trail says so: the rotation is settled all the same.
   */
  private async restoreName(loaders: RequestLoaders, runtime: AccountRuntime, rotation: Rotation): Promise<void> {
    const session = loaders.hyperstack(runtime);
    session.forget();
    const old = await session.key(rotation.oldKeyId);
    if (!old || old.name === rotation.oldKeyName) return;
    try {
      await session
        .write('restoring a rotated key\'s name', (c) => c.updateKey(old.id, { name: rotation.oldKeyName, description: old.description }))
        .finally(() => session.forget());
    } catch (error) {
      if (!(error instanceof UpstreamError && (error.code === 'CONFLICT' || error.code === 'BAD_USER_INPUT'))) throw error;
      this.recordRecovery(rotation, old, error.code, `the old key keeps the name "${old.name}": ${providerNames[rotation.provider]} refused its old name back`);
    }
  }
}

export interface RotateInput {
  id: string;
  revokeOldAfter: number;
  confirmRevokeGatewayCredential?: boolean | null;
}

export interface RotateResult extends CreatedKey {
  rotation: Rotation;
  oldKeyRevokesAt: Date;
  /** What failed after the replacement was made: answered beside the secret, never instead of it. */
  problems: GraphQLError[];
}

/** A replacement as the store records it: its reference and hint, never its secret. */
export interface NewKeyRecord {
  newKeyId: string;
  newKeyHint: string | null;
}

/** The request-scoped side: rotateApiKey, completeRotation, cancelRotation and the list of rotations. */
export class RotationService {
  constructor(
    private readonly deps: {
      runner?: RotationRunner;
      loaders: RequestLoaders;
      apiKeys: ApiKeyService;
      audit: RequestAudit;
      maxOverlapSeconds: number;
    },
  ) {}

  private get runner(): RotationRunner {
    if (!this.deps.runner) throw gatewayError('SERVICE_UNAVAILABLE', 'This gateway runs without a store, so it cannot rotate keys.');
    return this.deps.runner;
  }

  async rotate(input: RotateInput): Promise<RotateResult> {
    const { loaders, apiKeys, audit } = this.deps;
    const runner = this.runner;
    const id = apiKeys.requireId(input.id);
    const runtime = apiKeys.accountFor(id.provider, id.account);
    this.checkOverlap(input.revokeOldAfter, runtime);
    const old = await apiKeys.get(input.id);
    if (!old) throw gatewayError('NOT_FOUND', `${providerNames[id.provider]} has no such API key (already revoked?).`, id.provider);
    const ref = keyRef(id);
    audit.note({ provider: id.provider, account: id.account, keyId: ref, keyName: nameOf(old), keyHint: old.keyHint });
    if (!input.confirmRevokeGatewayCredential) await apiKeys.guardGatewayCredential(runtime, id, 'Rotating it, which revokes it after the overlap,');
    // The rotation's record holds the name (recovery finds the new key by it), and the store holds no secret.
    const shape = secretShape(nameOf(old));
    if (shape) {
      throw badUserInput(`This key's name looks like ${shape}, and keygate never stores a secret, so it cannot record a rotation of this key. Rename the key, then rotate it.`);
    }
    // Every write this rotation may make, refused now if they do not fit the operation's call budget:
    // never a replacement made and its old key's revocation then refused.
    // The replacement's create counts CREATE_CALLS (itself and a lookup its answer may need).
    const writes = (old.provider === 'OCTOPUS' ? CREATE_CALLS : CREATE_CALLS + 2) + (input.revokeOldAfter === 0 ? 1 : 0); // Hyperstack: rename, generate, a rename undone
    loaders.budget.reserve(writes, 'rotating a key');

    const now = runner.rotations.clock();
    const newKeyName = nameOf(old);
    const forwarded = loaders.usesForwardedCredential(runtime);
    // The intent is recorded before the provider is asked: a crash from here on is found and settled.
    const rotation = await fromStore(() =>
      runner.rotations.start({
        provider: id.provider,
        account: id.account,
        oldKeyId: ref,
        oldKeyName: nameOf(old),
        oldKeyHint: old.keyHint,
        newKeyName,
        overlapSeconds: input.revokeOldAfter,
        startedBy: audit.who.client,
        credential: forwarded ? 'FORWARDED' : 'CONFIGURED',
      }),
    );
    audit.note({ detail: `rotation ${rotation.id}` });

    let created: CreatedKey;
    try {
      created = old.provider === 'OCTOPUS' ? await this.mintOctopus(runtime, old, now) : await this.mintHyperstack(runtime, old, now);
    } catch (error) {
      // An unknown outcome, or an old Hyperstack key left renamed, stays PENDING_CREATE: recovery
      // finds the key (revoking it) or fails the rotation, and names the old key back.
      const uncertain = (error as { extensions?: { mayHaveCreated?: boolean } }).extensions?.mayHaveCreated === true || renameLeft.has(error as object);
      const code = (error as { extensions?: { code?: string } }).extensions?.code ?? (error instanceof UpstreamError ? error.code : 'INTERNAL_SERVER_ERROR');
      // The store failing too leaves the rotation PENDING_CREATE, which recovery settles: the trail says why.
      await (uncertain ? runner.rotations.noteCreateUncertain(rotation.id, code) : runner.rotations.failCreate(rotation.id, code)).catch((stored: unknown) =>
        audit.append(`its failure (${code}) could not be recorded (${codeOf(stored)}): recovery settles it`),
      );
      throw error;
    }

    // The new key exists and its secret is in hand: from here nothing may throw it away. What fails
    // now (the store, the old key's revocation) is an error beside the payload. If the answer never
    // reaches the client, the old key must stay: it is the only one anyone holds.
    const problems: GraphQLError[] = [];
    const newKey: NewKeyRecord = { newKeyId: keyRef(created.apiKey), newKeyHint: created.apiKey.keyHint };
    audit.append(`replacement ${newKey.newKeyId}${newKey.newKeyHint ? ` (${newKey.newKeyHint})` : ''}`);
    audit.noteMade({ keyId: newKey.newKeyId, keyHint: newKey.newKeyHint, keyName: newKeyName, detail: `the replacement in rotation ${rotation.id}, which keeps the old key` });
    let recorded = await this.recordNewKey(rotation.id, newKey);
    if (!recorded) runner.recordLater(rotation.id, newKey);
    const undelivered = audit.onUndelivered(() => runner.undelivered(rotation.id));
    if (undelivered) {
      // The client has left: nobody will read this answer. No revocation; the rotation waits for a
      // person (recorded held already, if the client had left by then).
      await undelivered;
    } else if (!recorded) {
      problems.push(
        gatewayError(
          'SERVICE_UNAVAILABLE',
          "The new key exists and its secret is in this answer, but keygate's store could not record the rotation. keygate keeps trying; until it succeeds the rotation shows PENDING_CREATE and the old key is not revoked on schedule.",
        ),
      );
    } else if (input.revokeOldAfter === 0 && apiKeys.gate?.ending()) {
      // Shutdown has begun: a second write now could outlast the grace period and cut the answer
      // holding the secret. The rotation is due now: the scheduler revokes it.
      problems.push(
        gatewayError(
          'SERVICE_UNAVAILABLE',
          `The new key exists and its secret is in this answer. keygate is shutting down, so it did not revoke the old key itself: ${
            forwarded ? ONLY_WITH_THAT_CREDENTIAL : 'the rotation is due now, and a running instance revokes it shortly.'
          }`,
        ),
      );
    } else if (input.revokeOldAfter === 0) {
      try {
        recorded = await runner.revokeNow(rotation.id, loaders);
        if (recorded.state !== 'COMPLETED') {
          // The provider refused or failed (the scheduler recorded it), or another instance holds it.
          const code = recorded.lastError ?? 'CONFLICT';
          audit.append(`revoking the old key failed (${code})`);
          problems.push(
            gatewayError(
              'SERVICE_UNAVAILABLE',
              `The new key exists and its secret is in this answer, but revoking the old key failed (${code}). ${
                forwarded ? ONLY_WITH_THAT_CREDENTIAL : "The rotation is due: keygate's scheduler tries again, or run completeRotation."
              }`,
            ),
          );
        }
      } catch (error) {
        audit.append(`revoking the old key failed (${codeOf(error)})`);
        problems.push(
          gatewayError(
            'SERVICE_UNAVAILABLE',
            `The new key exists and its secret is in this answer, but revoking the old key failed (${codeOf(error)}). The rotation is due now: keygate's scheduler tries again, or run completeRotation.`,
          ),
        );
      }
    }
    const view = recorded ?? { ...rotation, ...newKey };
    return { ...created, rotation: view, oldKeyRevokesAt: view.revokeOldAt ?? now, problems };
  }

  /**
   * With the credential the rotation was made with: a request's own for one made with a credential
   * a request brought, keygate's configured one otherwise (another user's credential sees the key
   * as "not found", which would read as already revoked). An old key it did not revoke is an error
   * (and the audit event's outcome), never a rotation answered as if all were done.
   */
  async complete(globalId: string): Promise<Rotation> {
    const rotation = await this.find(globalId);
    const loaders = rotation.credential === 'FORWARDED' ? this.deps.loaders : undefined;
    const after = await fromStore(() => this.runner.revokeNow(rotation.id, loaders));
    if (after.state === 'COMPLETED') return after;
    throw notRevoked(after);
  }

  async cancel(globalId: string): Promise<Rotation> {
    const rotation = await this.find(globalId);
    return fromStore(() => this.runner.rotations.cancel(rotation.id));
  }

  list(args: { first?: number | null; after?: string | null; states?: readonly RotationState[] | null }): Promise<RotationPage> {
    return fromStore(() => this.runner.rotations.list({ first: args.first, after: args.after, filter: args.states ? { states: args.states } : undefined }));
  }

  private async find(globalId: string): Promise<Rotation> {
    const n = /^Rotation:(\d{1,15})$/.exec(Buffer.from(globalId, 'base64').toString('utf8'))?.[1];
    // Malformed is the client's mistake, as for a key's id; well formed but unknown is NOT_FOUND.
    if (!n) throw badUserInput('`id` is not the id of a rotation. Use the `id` of a rotation returned by `rotations` or `rotateApiKey`.', { field: 'id' });
    const rotation = await this.runner.rotations.find(Number(n));
    if (!rotation) throw gatewayError('NOT_FOUND', 'There is no rotation with that id.');
    this.deps.audit.note({
      provider: rotation.provider,
      account: rotation.account,
      keyId: rotation.oldKeyId,
      keyName: rotation.oldKeyName,
      keyHint: rotation.oldKeyHint,
      detail: `rotation ${rotation.id}`,
    });
    return rotation;
  }

  /**
   * 0 revokes at once; up to ROTATION_MAX_OVERLAP_S otherwise. A later revocation needs a credential
   * later, and keygate never stores one: only accounts with a configured credential, and never with
   * a credential this request brought.
   */
  private checkOverlap(seconds: number, runtime: AccountRuntime): void {
    const max = this.deps.maxOverlapSeconds;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > max) {
      throw badUserInput(`revokeOldAfter must be a whole number of seconds from 0 to ${max} (ROTATION_MAX_OVERLAP_S).`, { field: 'revokeOldAfter' });
    }
    if (seconds === 0) return;
    const configured = runtime.config.apiKey || runtime.config.accessToken;
    if (this.deps.loaders.usesForwardedCredential(runtime) || !configured) {
      throw badUserInput(
        `A later revocation needs keygate's own configured credential for account "${runtime.account.name}" when it is due, and keygate never stores a credential${configured ? ', while this request brings its own' : ''}. Pass revokeOldAfter: 0 to revoke the old key now, with this request's credential.`,
        { field: 'revokeOldAfter' },
      );
    }
  }

  /**
   * Octopus: the same purpose (and actor type), and the same lifetime as the old key, or the server
   * default when it never expired. A longer lifetime than a server since 2025.4 allows is cut to 365
   * days, as a date: an explicit null would ask for the maximum there, but means "never expires" to
   * an older server, and a replacement must not outlive what its old key was allowed.
   */
  private mintOctopus(runtime: AccountRuntime, old: Extract<ApiKeyRecord, { provider: 'OCTOPUS' }>, now: Date): Promise<CreatedKey> {
    const lifetime = old.expiresAt && old.createdAt ? old.expiresAt.getTime() - old.createdAt.getTime() : undefined;
    const session = this.deps.loaders.octopus(runtime);
    const expires =
      lifetime === undefined || lifetime <= 0 ? undefined : new Date(now.getTime() + Math.min(lifetime, OCTOPUS_REPLACEMENT_MAX_LIFETIME_MS));
    return creating(old.purpose, this.deps.apiKeys.gate, async () => {
      const created = await session.create('minting a replacement Octopus key', (client) =>
        client.createKey({ userId: old.userId, purpose: old.purpose, expires, actorType: old.actorType ?? undefined }),
      );
      session.forget(old.userId);
      return created;
    });
  }

  /**
   * Hyperstack names are unique: the old key is renamed `<name> (rotated <date>)` first, the new one
   * gets the original name and description, and the rename is undone if the new one cannot be made.
   */
  private async mintHyperstack(runtime: AccountRuntime, old: Extract<ApiKeyRecord, { provider: 'HYPERSTACK' }>, now: Date): Promise<CreatedKey> {
    const session = this.deps.loaders.hyperstack(runtime);
    const suffix = ` (rotated ${now.toISOString().slice(0, 16).replace('T', ' ')})`;
    // Hyperstack's documentation limits names to 50 characters.
    const renamed = `${old.name.slice(0, Math.max(1, 50 - suffix.length))}${suffix}`;
    try {
      await session.write('renaming the key being rotated', (client) => client.updateKey(old.id, { name: renamed, description: old.description }));
    } catch (error) {
      // The rename may have been applied with its answer lost: the rotation stays for recovery,
      // which names the old key back if it was.
      if (mayHaveTakenEffect(error)) {
        this.deps.audit.append(`the old key may carry the name "${renamed}" until recovery names it back`);
        renameLeft.add(error as object);
      }
      throw error;
    } finally {
      session.forget();
    }
    try {
      return await creating(old.name, this.deps.apiKeys.gate, () => session.create('minting a replacement Hyperstack key', (client) => client.generateKey({ name: old.name, description: old.description })));
    } catch (error) {
      if ((error as { extensions?: { mayHaveCreated?: boolean } }).extensions?.mayHaveCreated) throw error;
      await session
        .write('undoing the rename of the key being rotated', (client) => client.updateKey(old.id, { name: old.name, description: old.description }))
        .catch(() => {
          // Refused at shutdown, or failed: the rotation stays for recovery, which renames it back.
          this.deps.audit.append(`the old key keeps the name "${renamed}" until recovery renames it back`);
          if (error instanceof Object) renameLeft.add(error);
        });
      throw error;
    } finally {
      session.forget();
    }
  }

  /**
   * The new key exists and its secret is in hand: record it. The store failing here must not cost
   * the secret, so the write is retried a few times; if it still fails, undefined, and the runner
   * keeps trying (recovery never takes the key for an orphan meanwhile).
   */
  private async recordNewKey(id: number, key: NewKeyRecord): Promise<Rotation | undefined> {
    const rotations = this.runner.rotations;
    for (let attempt = 1; ; attempt++) {
      try {
        // A client already gone: recorded held in the same write, so no scheduler can claim it first.
        return await rotations.recordNewKey(id, key, { undelivered: this.deps.audit.clientGone });
      } catch (error) {
        if (attempt >= 3) {
          this.deps.audit.append(`the new key could not be recorded (${codeOf(error)})`);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }
}

/** A failure's code for a message or an audit detail: never its text, which may hold a provider's words. */
function codeOf(error: unknown): string {
  if (error instanceof StoreError || error instanceof UpstreamError) return error.code;
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  return typeof code === 'string' ? code : 'STORE_UNAVAILABLE'; // the database's own failure
}

/** Errors of Hyperstack rotations whose old key could not be renamed back: recovery does it. */
const renameLeft = new WeakSet<object>();
