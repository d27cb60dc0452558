import type { Generated } from 'kysely';

/**
 * The tables as TypeScript sees them (Kysely's CamelCasePlugin maps `keyId` to the column
 * `key_id`). The SQL that creates them is in migrations/; keep the two in step.
 *
 * Times are ISO-8601 UTC text with milliseconds (`2026-11-30T12:00:00.000Z`, always 24 characters):
 * readable in any SQL client, the same in both databases, and in that fixed form they sort and
 * compare in time order as plain bytes (PostgreSQL columns use the "C" collation so they do).
 */
export interface Database {
  auditEvents: AuditEventTable;
  rotations: RotationTable;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: string;
  requestId: string | null;
  client: string;
  operation: string;
  provider: string | null;
  account: string | null;
  keyId: string | null;
  keyName: string | null;
  keyHint: string | null;
  outcome: string;
  detail: string | null;
}

export interface RotationTable {
  id: Generated<number>;
  provider: string;
  account: string;
  oldKeyId: string;
  oldKeyName: string;
  oldKeyHint: string | null;
  newKeyName: string;
  newKeyId: string | null;
  newKeyHint: string | null;
  state: string;
  overlapSeconds: number;
  revokeOldAt: string | null;
  oldKeyUsedAt: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  claimedBy: string | null;
  claimedUntil: string | null;
  startedBy: string;
  credential: Generated<string>;
  createdAt: string;
  updatedAt: string;
}

/** Where the store gets the time from: `() => new Date()` in production, a movable clock in tests. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** The one way a time is written to the store (see the note on Database). */
export function isoTime(date: Date): string {
  const text = date.toISOString();
  if (text.length !== 24) throw new RangeError('times before year 0 or after 9999 cannot be stored');
  return text;
}

export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
