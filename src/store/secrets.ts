import { secretShape } from '../secret-shapes.js';
import { StoreError } from './errors.js';

/**
 * The store never holds a secret or a credential. Nothing should ever try to write one, and this is
 * the net under that rule: every text the store writes is checked against the shapes keygate's
 * secrets and credentials have (`secret-shapes.ts`).
 */

/** What a refused value is written as, so the row still says that something was there. */
export const REDACTED = '[redacted: looked like a secret]';

/**
 * Fields that name a client or a request, not a key: a JWT's subject or a proxy's request id is
 * often a UUID (a Hyperstack key's shape), and redacting it would lose the attribution an audit
 * trail is for. The other shapes are still refused there.
 */
const IDENTIFIERS = new Set(['client', 'requestId', 'startedBy']);

/** The names of the string fields of `record` that look like a secret. */
export function secretLikeFields(record: object): string[] {
  return Object.entries(record)
    .filter(([field, value]) => typeof value === 'string' && secretShape(value, { identifier: IDENTIFIERS.has(field) }) !== undefined)
    .map(([field]) => field);
}

/**
 * Refuses a record with a secret-like field. The message names the field and the shape, never the
 * value. For records whose fields must be exact (a rotation finds its new key by name).
 */
export function assertNoSecrets(record: object, what: string): void {
  const fields = secretLikeFields(record);
  if (fields.length === 0) return;
  const field = fields[0]!;
  const kind = secretShape((record as Record<string, string>)[field]!, { identifier: IDENTIFIERS.has(field) })!;
  throw new StoreError('SECRET_REFUSED', `${what}: ${field} looks like ${kind}; the store never holds a secret`);
}

/**
 * Replaces each secret-like field with REDACTED and says which were replaced. For audit events:
 * a key name is chosen by whoever creates the key, and a name shaped like a secret must not be able
 * to keep its event out of the audit trail.
 */
export function redactSecrets<T extends object>(record: T): { record: T; redacted: string[] } {
  const redacted = secretLikeFields(record);
  if (redacted.length === 0) return { record, redacted };
  const copy: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  for (const field of redacted) copy[field] = REDACTED;
  return { record: copy as T, redacted };
}
