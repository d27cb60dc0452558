/**
 * What the store tells its callers. A `StoreError` is one the store raised itself, with a code the
 * gateway can pass on (BAD_USER_INPUT, NOT_FOUND, CONFLICT) or map (the rest). Anything else thrown
 * by a store method is the database's own failure: count it, log it, answer it as unavailable.
 */
export type StoreErrorCode =
  /** A cursor, filter, page size or field value the store cannot take. */
  | 'BAD_USER_INPUT'
  /** No rotation with that id. */
  | 'NOT_FOUND'
  /** The rotation is in a state that does not allow the step (see rotations.ts), or one is already active for the key. */
  | 'CONFLICT'
  /** A value looked like a secret or credential and was refused (see secrets.ts). */
  | 'SECRET_REFUSED'
  /** DATABASE_URL is malformed or names a database keygate does not support. */
  | 'BAD_DATABASE_URL'
  /** The database could not be reached or opened. */
  | 'STORE_UNAVAILABLE'
  /** A migration failed, or the database was migrated by a newer keygate than this one. */
  | 'MIGRATION_FAILED';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Where a store error happened, as a label for `/metrics` (a small fixed set):
 * - `query`: any SQL statement that failed (every other kind that hits the database also counts here)
 * - `connection`: the PostgreSQL pool lost an idle connection
 * - `audit_write`: an audit event could not be written and was queued for a retry
 * - `audit_dropped`: an audit event will never be written: the retry queue was full and dropped its
 *   oldest event, the event was malformed, or the database still refused it at shutdown (each is
 *   logged in full at error level)
 * - `secret_refused`: a value that looked like a secret was kept out of the database
 * - `revoke`: a scheduled revocation attempt failed (it is retried or marked NEEDS_ATTENTION)
 * - `scheduler`: a scheduler pass failed as a whole (claiming or recording an outcome)
 * - `health`: `health()` found the database unreachable or too slow
 */
export type StoreErrorKind =
  | 'query'
  | 'connection'
  | 'audit_write'
  | 'audit_dropped'
  | 'secret_refused'
  | 'revoke'
  | 'scheduler'
  | 'health';

export const STORE_ERROR_KINDS: readonly StoreErrorKind[] = [
  'query',
  'connection',
  'audit_write',
  'audit_dropped',
  'secret_refused',
  'revoke',
  'scheduler',
  'health',
];

/**
 * Hooks the gateway wires to its metrics and logger. `error` is passed for logging: the database's
 * own messages name tables and constraints, never a secret (the store holds none) or the password
 * of DATABASE_URL.
 */
export interface StoreHooks {
  onError?(kind: StoreErrorKind, error: unknown): void;
}

/** Calls a hook without letting a faulty hook break the store. */
export function reportError(hooks: StoreHooks | undefined, kind: StoreErrorKind, error: unknown): void {
  try {
    hooks?.onError?.(kind, error);
  } catch {
    // A metrics or logging hook that throws must not turn a handled failure into an unhandled one.
  }
}
