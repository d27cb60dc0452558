import type { AuditEventInput, AuditEvents } from './audit-events.js';
import { StoreError, reportError, type StoreHooks } from './errors.js';
import type { AuditEventTable } from './schema.js';

type Row = Omit<AuditEventTable, 'id'>;

/** The part of pino's logger the trail uses. */
export interface TrailLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditTrailOptions {
  logger?: TrailLogger;
  hooks?: StoreHooks;
  /** Events held for a retry while the database fails (default 1000). */
  maxQueued?: number;
  /** How often start()'s loop retries held events (default 5 s). */
  retryIntervalMs?: number;
  /** How often start()'s loop deletes events past retention (default 1 h; also once at start). */
  purgeIntervalMs?: number;
}

/**
 * How the gateway writes audit events. An audit write must never cost a client its minted secret,
 * so `record` never throws and, once the database has failed, never makes its caller wait on it:
 *
 * - The event is checked and shaped first (secret-shaped values replaced, times fixed), so what waits
 *   in memory is exactly what will be written, and is safe to log.
 * - A failed write is counted (`audit_write`), logged, and held in a queue in order. While anything
 *   is queued, new events join the queue behind it instead of trying the database one by one.
 * - The queue is retried by start()'s loop, or by flush(). Events keep the time they happened.
 * - The queue is bounded (maxQueued). When it is full the OLDEST held event is dropped: it is written
 *   to the log at error level in full (it holds no secret), so the log keeps what the table lost, and
 *   counted as `audit_dropped`. Memory stays bounded however long the database is down.
 * - close() tries once more; whatever is still held is logged and counted the same way.
 */
export class AuditTrail {
  private readonly queue: Row[] = [];
  private readonly maxQueued: number;
  private flushing: Promise<void> | undefined;
  private followUp: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private purging: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly events: AuditEvents,
    private readonly options: AuditTrailOptions = {},
  ) {
    this.maxQueued = options.maxQueued ?? 1000;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 1) throw new RangeError('maxQueued must be a positive whole number');
  }

  /** Events waiting for a retry. */
  get queued(): number {
    return this.queue.length;
  }

  /** Writes the event, or holds it for a retry. Resolves once written or held; never rejects. */
  record(input: AuditEventInput): Promise<void> {
    // Tracked so close() waits for writes in flight from callers that did not await them.
    const write = this.write(input);
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
    return write;
  }

  private async write(input: AuditEventInput): Promise<void> {
    let row: Row;
    try {
      row = this.events.toRow(input);
    } catch (error) {
      // A malformed event is a bug in the caller; retrying cannot fix it.
      this.options.logger?.error({ operation: input.operation, err: describe(error) }, 'audit event refused and not stored');
      reportError(this.options.hooks, 'audit_dropped', error);
      return;
    }
    if (this.queue.length > 0) {
      this.hold(row);
      void this.flush();
      return;
    }
    try {
      await this.events.insertRow(row);
    } catch (error) {
      reportError(this.options.hooks, 'audit_write', error);
      this.options.logger?.warn({ event: row, err: describe(error) }, 'audit event not written; held for a retry');
      this.hold(row);
    }
  }

  /**
   * Writes held events in order until the queue is empty or a write fails. One drain runs at a time;
   * a call while one runs gets a single follow-up drain (shared by every such call), so an outage
   * with many events queues one retry, not one per event.
   */
  flush(): Promise<void> {
    if (this.followUp) return this.followUp;
    if (this.flushing) {
      this.followUp = this.flushing.then(() => {
        this.followUp = undefined;
        return this.flush();
      });
      return this.followUp;
    }
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Waits for every write already asked for, then writes what is held: after it, the table has every event so far (if the database takes them). */
  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
    await this.flush();
  }

  /** Retries held events every retryIntervalMs and purges past retention every purgeIntervalMs. */
  start(): void {
    if (this.timers.length > 0) return;
    const retry = setInterval(() => void this.flush(), this.options.retryIntervalMs ?? 5000);
    const purge = setInterval(() => void this.purge(), this.options.purgeIntervalMs ?? 3_600_000);
    retry.unref();
    purge.unref();
    this.timers = [retry, purge];
    void this.purge();
  }

  /** Stops the loops, waits for writes and work in flight, tries the queue once more, and logs what remains. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.all([...this.inFlight]);
    await this.purging;
    await this.flush();
    for (const row of this.queue.splice(0)) this.drop(row, 'audit event lost at shutdown: the database did not take it');
  }

  private hold(row: Row): void {
    if (this.queue.length >= this.maxQueued) {
      this.drop(this.queue.shift()!, `audit event dropped: ${this.maxQueued} events already waiting for the database`);
    }
    this.queue.push(row);
  }

  private drop(row: Row, message: string): void {
    this.options.logger?.error({ event: row }, message);
    reportError(this.options.hooks, 'audit_dropped', new Error(message));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const row = this.queue[0]!;
      try {
        await this.events.insertRow(row);
      } catch {
        return; // still failing: the statement counted as a `query` error; the next flush tries again
      }
      // Only now: a write that fails keeps its place at the head.
      if (this.queue[0] === row) this.queue.shift();
    }
  }

  private purge(): Promise<void> {
    this.purging ??= this.events
      .purgeExpired()
      .then(
        () => undefined,
        (error: unknown) => this.options.logger?.warn({ err: describe(error) }, 'audit retention purge failed; it runs again later'),
      )
      .finally(() => {
        this.purging = undefined;
      });
    return this.purging;
  }
}

/** An error for a log line: its code and message, not the query or its parameters. */
function describe(error: unknown): { code?: string; message: string } {
  if (error instanceof StoreError) return { code: error.code, message: error.message };
  if (error instanceof Error) return { code: (error as { code?: string }).code, message: error.message };
  return { message: String(error) };
}
