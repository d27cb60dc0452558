import type { Selectable } from 'kysely';
import { PROVIDERS, type Provider } from '../upstream/errors.js';
import type { Store } from './db.js';
import { StoreError, reportError } from './errors.js';
import { pageOf, type Page } from './page.js';
import { ISO_TIME, isoTime, systemClock, type AuditEventTable, type Clock } from './schema.js';
import { redactSecrets } from './secrets.js';

/** One thing done to a key through keygate. Hints only: the store never holds a secret or a credential. */
export interface AuditEventInput {
  /** When it happened (default: now). The retry queue keeps the original time. */
  at?: Date;
  requestId?: string | null;
  /** Who: a client token's name, `jwt:<subject>`, or the caller's address when client auth is off. */
  client: string;
  /** What: the GraphQL mutation (`createOctopusApiKey`), or a background job (`scheduledRevoke`). */
  operation: string;
  /** Null when the operation was refused before it named one. */
  provider: Provider | null;
  account?: string | null;
  /** The provider's reference to the key, as in rotations: Octopus `Users-1/apikeys-…`, Hyperstack `42`. */
  keyId?: string | null;
  keyName?: string | null;
  /** What the provider reveals of the secret: Octopus `API-ABCD`, Hyperstack the last 4 characters. */
  keyHint?: string | null;
  /** `OK`, or the error code the operation ended with (`UPSTREAM_TIMEOUT`, `FORBIDDEN`, …). */
  outcome: string;
  /** A short note, e.g. `mayHaveCreated` or `rotation 12`. Never an upstream message. */
  detail?: string | null;
}

export interface AuditEvent {
  id: number;
  at: Date;
  requestId: string | null;
  client: string;
  operation: string;
  provider: Provider | null;
  account: string | null;
  keyId: string | null;
  keyName: string | null;
  keyHint: string | null;
  outcome: string;
  detail: string | null;
}

export interface AuditEventFilter {
  provider?: Provider;
  account?: string;
  keyId?: string;
  client?: string;
  operation?: string;
  /** Events at or after this time. */
  since?: Date;
  /** Events before this time. */
  until?: Date;
}

export type AuditEventPage = Page<AuditEvent>;

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Longest text kept per field. Longer values are cut (after the secret check, so no cut secret survives). */
const MAX_LENGTH = {
  requestId: 128,
  client: 200,
  account: 100,
  keyId: 200,
  keyName: 200,
  keyHint: 50,
  detail: 500,
} as const;
const OPERATION = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const OUTCOME = /^[A-Z][A-Z0-9_]{1,63}$/;
const PURGE_BATCH = 5000;

/** The audit_events table: write one event, read them newest first, forget those past retention. */
export class AuditEvents {
  readonly retentionDays: number;
  private readonly clock: Clock;

  constructor(
    private readonly store: Pick<Store, 'db' | 'hooks'>,
    options: { retentionDays?: number; clock?: Clock } = {},
  ) {
    const days = options.retentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > 36_500) {
      throw new StoreError('BAD_USER_INPUT', 'AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 36500');
    }
    this.retentionDays = days;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Writes one event and returns it as stored. A value shaped like a secret is replaced by a marker
   * (and counted as `secret_refused`); an event that cannot be valid (unknown provider, malformed
   * operation or outcome) is refused with BAD_USER_INPUT. Database failures are thrown as they are.
   */
  async insert(input: AuditEventInput): Promise<AuditEvent> {
    return this.insertRow(this.toRow(input));
  }

  /** Checks and shapes an event as it will be written; the retry queue calls this before queueing. */
  toRow(input: AuditEventInput): Omit<AuditEventTable, 'id'> {
    if (input.provider !== null && !PROVIDERS.includes(input.provider)) throw new StoreError('BAD_USER_INPUT', 'audit event: unknown provider');
    if (!OPERATION.test(input.operation)) throw new StoreError('BAD_USER_INPUT', 'audit event: operation must be a GraphQL-style name');
    if (input.outcome !== 'OK' && !OUTCOME.test(input.outcome)) {
      throw new StoreError('BAD_USER_INPUT', 'audit event: outcome must be OK or an error code');
    }
    if (!input.client?.trim()) throw new StoreError('BAD_USER_INPUT', 'audit event: client is required');
    const at = input.at ?? this.clock();
    if (Number.isNaN(at.getTime())) throw new StoreError('BAD_USER_INPUT', 'audit event: at is not a valid time');
    const { record, redacted } = redactSecrets({
      requestId: input.requestId ?? null,
      client: input.client,
      account: input.account ?? null,
      keyId: input.keyId ?? null,
      keyName: input.keyName ?? null,
      keyHint: input.keyHint ?? null,
      detail: input.detail ?? null,
    });
    if (redacted.length > 0) {
      reportError(this.store.hooks, 'secret_refused', new StoreError('SECRET_REFUSED', `audit event ${input.operation}: ${redacted.join(', ')} looked like a secret and was not stored`));
    }
    return {
      at: isoTime(at),
      requestId: cut(record.requestId, MAX_LENGTH.requestId),
      client: cut(record.client, MAX_LENGTH.client)!,
      operation: input.operation,
      provider: input.provider,
      account: cut(record.account, MAX_LENGTH.account),
      keyId: cut(record.keyId, MAX_LENGTH.keyId),
      keyName: cut(record.keyName, MAX_LENGTH.keyName),
      keyHint: cut(record.keyHint, MAX_LENGTH.keyHint),
      outcome: input.outcome,
      detail: cut(record.detail, MAX_LENGTH.detail),
    };
  }

  /** Writes a row made by toRow (the retry queue's path). */
  async insertRow(row: Omit<AuditEventTable, 'id'>): Promise<AuditEvent> {
    return toEvent(await this.store.db.insertInto('auditEvents').values(row).returningAll().executeTakeFirstOrThrow());
  }

  /** Newest first (time, then id), `first` at a time (default 50, at most 500), after an opaque cursor. */
  async list(args: { first?: number | null; after?: string | null; filter?: AuditEventFilter | null } = {}): Promise<AuditEventPage> {
    const first = args.first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
      throw new StoreError('BAD_USER_INPUT', `first must be a whole number from 0 to ${MAX_PAGE_SIZE}`);
    }
    const after = args.after ? decodeCursor(args.after) : undefined;
    const filter = args.filter ?? {};
    for (const bound of ['since', 'until'] as const) {
      const value = filter[bound];
      if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) {
        throw new StoreError('BAD_USER_INPUT', `filter.${bound} is not a valid time`);
      }
    }
    if (filter.provider !== undefined && !PROVIDERS.includes(filter.provider)) {
      throw new StoreError('BAD_USER_INPUT', 'filter.provider is not a known provider');
    }

    const rows = await this.store.db
      .selectFrom('auditEvents')
      .selectAll()
      .$if(filter.provider !== undefined, (q) => q.where('provider', '=', filter.provider!))
      .$if(filter.account !== undefined, (q) => q.where('account', '=', withoutNul(filter.account!)))
      .$if(filter.keyId !== undefined, (q) => q.where('keyId', '=', withoutNul(filter.keyId!)))
      .$if(filter.client !== undefined, (q) => q.where('client', '=', withoutNul(filter.client!)))
      .$if(filter.operation !== undefined, (q) => q.where('operation', '=', withoutNul(filter.operation!)))
      .$if(filter.since !== undefined, (q) => q.where('at', '>=', isoTime(filter.since!)))
      .$if(filter.until !== undefined, (q) => q.where('at', '<', isoTime(filter.until!)))
      .$if(after !== undefined, (q) =>
        q.where((eb) => eb.or([eb('at', '<', after!.at), eb.and([eb('at', '=', after!.at), eb('id', '<', after!.id)])])),
      )
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(first + 1)
      .execute();

    return pageOf(rows, first, (row) => encodeCursor(row.at, row.id), toEvent);
  }

  /** Deletes events older than the retention period, in batches; returns how many. */
  async purgeExpired(): Promise<number> {
    const cutoff = isoTime(new Date(this.clock().getTime() - this.retentionDays * 86_400_000));
    let deleted = 0;
    for (;;) {
      const result = await this.store.db
        .deleteFrom('auditEvents')
        .where('id', 'in', (q) => q.selectFrom('auditEvents').select('id').where('at', '<', cutoff).limit(PURGE_BATCH))
        .executeTakeFirst();
      const count = Number(result.numDeletedRows);
      deleted += count;
      if (count < PURGE_BATCH) return deleted;
    }
  }
}

/**
 * Bounded, and storable: PostgreSQL's text cannot hold a NUL, so a provider's key name with one
 * would make its event unwritable, and hold up every event queued behind it. A filter goes through
 * the same replacement, so it finds what was stored.
 */
function cut(value: string | null, max: number): string | null {
  if (value === null) return value;
  const text = withoutNul(value);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const withoutNul = (value: string) => value.replaceAll('\u0000', '\uFFFD');

function toEvent(row: Selectable<AuditEventTable>): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.at),
    requestId: row.requestId,
    client: row.client,
    operation: row.operation,
    provider: row.provider as Provider | null,
    account: row.account,
    keyId: row.keyId,
    keyName: row.keyName,
    keyHint: row.keyHint,
    outcome: row.outcome,
    detail: row.detail,
  };
}

const CURSOR = /^audit:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z):(\d{1,15})$/;

function encodeCursor(at: string, id: number): string {
  return Buffer.from(`audit:${at}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: number } {
  const match = cursor.length <= 100 ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString()) : null;
  if (!match || !ISO_TIME.test(match[1]!)) throw new StoreError('BAD_USER_INPUT', 'after is not a cursor from this list');
  return { at: match[1]!, id: Number(match[2]) };
}
