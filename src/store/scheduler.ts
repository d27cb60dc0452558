import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { reportError, type StoreHooks } from './errors.js';
import type { Rotation, Rotations } from './rotations.js';

/** What the revoke callback reports: the old key was deleted, or was already gone (404): both complete the rotation. */
export type RevokeOutcome = 'REVOKED' | 'ALREADY_GONE';

/** How a failed revocation is treated; `code` is stored as the rotation's lastError. */
export interface RevokeErrorInfo {
  code: string;
  /** Try again later (with backoff) rather than give up. */
  retry: boolean;
  /** The provider asked to wait this long (429 Retry-After). */
  retryAfterSeconds?: number;
  /** The old key was seen in use at this time after the rotation began (stored as oldKeyUsedAt). */
  oldKeyUsedAt?: Date;
}

/** What became of one claimed revocation, for the gateway's audit trail and logs. */
export interface RevocationResult {
  rotation: Rotation;
  /** SKIPPED: no longer ours to revoke when its turn came (cancelled, held, or claimed by another); nothing was sent. */
  outcome: 'COMPLETED' | 'RETRY' | 'NEEDS_ATTENTION' | 'LOST_CLAIM' | 'SKIPPED';
  /** The error code of a failed attempt. */
  code?: string;
  /** When the next attempt is due (RETRY). */
  retryAt?: Date;
}

export interface SchedulerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface SchedulerOptions {
  /**
   * Deletes the rotation's old key at its provider, with the account's configured credential read
   * now (the store holds none). Map "not found" to ALREADY_GONE; throw for anything else. It must
   * end (the upstream timeout bounds it): a pass, and close(), wait for it.
   */
  revoke(rotation: Rotation): Promise<RevokeOutcome>;
  /** Turns a thrown error into a code and a retry decision (default: classifyRevokeError). */
  classify?(error: unknown): RevokeErrorInfo;
  /** Called with each result, after it is recorded. */
  onResult?(result: RevocationResult): void;
  /** Time between passes of start()'s loop (default 30 s). */
  intervalMs?: number;
  /**
   * How long a claim holds (default 5 min). Renewed before each revoke of a batch, so it must exceed
   * one revoke call with its timeouts and retries: a claim that outlives its lease may be taken over
   * by another instance (the revoke is then repeated, and answered ALREADY_GONE).
   */
  leaseMs?: number;
  /** Rotations claimed per round (default 10). */
  batchSize?: number;
  /** Retry delays: baseMs * 2^(attempt-1), at most maxMs; after maxAttempts, NEEDS_ATTENTION. */
  backoff?: { baseMs?: number; maxMs?: number; maxAttempts?: number };
  /** This instance's name in claims (default host:pid:random). */
  owner?: string;
  hooks?: StoreHooks;
  logger?: SchedulerLogger;
  /** Runs inside the claiming transaction while the due rows are locked (tests use it to hold a claim open). */
  whileClaiming?: () => Promise<void>;
}

const PERMANENT = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT']);
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * The default classification: an error carrying one of keygate's codes (UpstreamError does) keeps it;
 * as does one of keygate's refusals (a GraphQL error's extensions, e.g. shutdown's);
 * credential and input errors are permanent (a retry would fail the same way); timeouts,
 * unavailability, 5xx and rate limits are retried; anything unknown is retried as INTERNAL_ERROR.
 */
export function classifyRevokeError(error: unknown): RevokeErrorInfo {
  // keygate's own refusals (shutdown's, create-gate.ts) are GraphQL errors: their code is an extension.
  const coded = (error ?? {}) as { code?: unknown; retryAfterSeconds?: unknown; extensions?: { code?: unknown; retryAfterSeconds?: unknown } };
  const { code, retryAfterSeconds } = coded.code === undefined && coded.extensions ? coded.extensions : coded;
  const known = typeof code === 'string' && CODE.test(code) ? code : 'INTERNAL_ERROR';
  return {
    code: known,
    retry: !PERMANENT.has(known),
    ...(typeof retryAfterSeconds === 'number' && retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  };
}

/**
 * Delayed revocations: when a rotation's overlap ends, its old key is revoked once, across however
 * many keygate instances share the database. Each pass claims due rotations (a lease, see
 * Rotations.claimDue), calls `revoke`, and records the outcome; a failure is retried with
 * exponential backoff, then left NEEDS_ATTENTION. Times come from the Rotations' clock, so tests
 * move time instead of waiting for it. Nothing is lost by a crash: an unfinished claim expires and
 * the revocation is claimed again (the attempt still counts).
 */
export class RevocationScheduler {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxAttempts: number;
  private readonly classify: (error: unknown) => RevokeErrorInfo;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<RevocationResult[]> | undefined;
  private closed = false;

  constructor(
    private readonly rotations: Rotations,
    private readonly options: SchedulerOptions,
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 300_000;
    this.batchSize = options.batchSize ?? 10;
    this.baseMs = options.backoff?.baseMs ?? 30_000;
    this.maxMs = options.backoff?.maxMs ?? 3_600_000;
    this.maxAttempts = options.backoff?.maxAttempts ?? 10;
    this.classify = options.classify ?? classifyRevokeError;
  }

  /** One pass: claims and carries out every due revocation (in rounds of batchSize). One pass at a time per instance. */
  tick(): Promise<RevocationResult[]> {
    this.pass ??= this.runPass().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  /**
   * completeRotation: makes the old key due now and, unless another instance holds it, revokes it in
   * this call. Returns the rotation as recorded afterwards (COMPLETED, or OVERLAP with lastError and
   * a retry time, or NEEDS_ATTENTION). Throws the Rotations' NOT_FOUND / CONFLICT.
   */
  async revokeNow(id: number): Promise<Rotation> {
    const due = await this.rotations.revokeNow(id);
    if (due.state === 'COMPLETED') return due;
    const claimed = await this.rotations.claimOne(id, { owner: this.owner, leaseMs: this.leaseMs });
    if (claimed) await this.carryOut(claimed);
    return this.rotations.get(id);
  }

  /** Runs a pass now and then every intervalMs until close(). */
  start(): void {
    if (this.timer || this.closed) return;
    const loop = async () => {
      try {
        await this.tick();
      } catch {
        // runPass already reported and logged it; the next pass tries again.
      }
      if (!this.closed) {
        this.timer = setTimeout(loop, this.options.intervalMs ?? 30_000);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(loop, 0);
    this.timer.unref();
  }

  /** Stops the loop and waits for a pass in progress (its revocations finish and are recorded). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.pass?.catch(() => undefined);
  }

  private async runPass(): Promise<RevocationResult[]> {
    const results: RevocationResult[] = [];
    try {
      for (;;) {
        const claimed = await this.rotations.claimDue({
          owner: this.owner,
          leaseMs: this.leaseMs,
          limit: this.batchSize,
          whileLocked: this.options.whileClaiming,
        });
        for (const rotation of claimed) results.push(await this.carryOut(rotation));
        if (claimed.length < this.batchSize || this.closed) return results;
      }
    } catch (error) {
      reportError(this.options.hooks, 'scheduler', error);
      this.options.logger?.error({ err: errorText(error) }, 'revocation pass failed; the next pass tries again');
      throw error;
    }
  }

  /**
   * Revokes one claimed rotation's old key and records what happened. Only the callback's failures
   * are revocation failures; failing to record an outcome fails the pass (the claim then expires,
   * the revocation is claimed again, and the provider answers ALREADY_GONE).
   */
  private async carryOut(rotation: Rotation): Promise<RevocationResult> {
    const about = { rotation: rotation.id, provider: rotation.provider, account: rotation.account, oldKeyId: rotation.oldKeyId, attempt: rotation.attempts };
    let result: RevocationResult;
    let revoked: RevokeOutcome | undefined;
    let failure: unknown;
    // Still ours and still due? The batch's lease may have run out while earlier ones were revoked.
    if (!(await this.rotations.renewClaim(rotation.id, { owner: this.owner, leaseMs: this.leaseMs }))) {
      this.options.logger?.warn(about, 'the claim on a rotation was lost before its old key was revoked; left alone');
      return this.report({ rotation: await this.rotations.get(rotation.id), outcome: 'SKIPPED' });
    }
    try {
      revoked = await this.options.revoke(rotation);
    } catch (error) {
      failure = error;
    }
    if (revoked) {
      const recorded = await this.rotations.recordRevoked(rotation.id, this.owner);
      result = { rotation: await this.rotations.get(rotation.id), outcome: recorded ? 'COMPLETED' : 'LOST_CLAIM' };
      this.options.logger?.info({ ...about, revoked }, 'old key revoked; rotation completed');
    } else {
      reportError(this.options.hooks, 'revoke', failure);
      const info = this.classify(failure);
      const code = CODE.test(info.code) ? info.code : 'INTERNAL_ERROR';
      const retryAt = info.retry && rotation.attempts < this.maxAttempts ? this.retryTime(rotation.attempts, info.retryAfterSeconds) : null;
      const recorded = await this.rotations.recordRevokeFailure(rotation.id, this.owner, { code, retryAt, oldKeyUsedAt: info.oldKeyUsedAt });
      const outcome = !recorded ? 'LOST_CLAIM' : retryAt ? 'RETRY' : 'NEEDS_ATTENTION';
      result = { rotation: await this.rotations.get(rotation.id), outcome, code, ...(retryAt ? { retryAt } : {}) };
      const log = { ...about, code, outcome, retryAt };
      if (outcome === 'NEEDS_ATTENTION') this.options.logger?.error(log, 'revoking the old key failed for good; the rotation needs attention');
      else this.options.logger?.warn(log, 'revoking the old key failed; it will be retried');
    }
    return this.report(result);
  }

  private report(result: RevocationResult): RevocationResult {
    try {
      this.options.onResult?.(result);
    } catch {
      // The result is recorded; a faulty listener must not undo the pass.
    }
    return result;
  }

  private retryTime(attempts: number, retryAfterSeconds: number | undefined): Date {
    const backoff = Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, attempts - 1));
    const delay = Math.max(backoff, (retryAfterSeconds ?? 0) * 1000);
    return new Date(this.rotations.clock().getTime() + delay);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
