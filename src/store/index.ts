// keygate's store: see db.ts for what it is and how the gateway uses it.
export { DEFAULT_SQLITE_PATH, openStore, parseDatabaseUrl, redactDatabaseUrl } from './db.js';
export type { DatabaseTarget, Dialect, Store, StoreHealth, StoreOptions } from './db.js';
export { STORE_ERROR_KINDS, StoreError } from './errors.js';
export type { StoreErrorCode, StoreErrorKind, StoreHooks } from './errors.js';
export { AuditEvents, DEFAULT_AUDIT_RETENTION_DAYS, MAX_PAGE_SIZE } from './audit-events.js';
export type { AuditEvent, AuditEventFilter, AuditEventInput, AuditEventPage } from './audit-events.js';
export { AuditTrail } from './audit-trail.js';
export type { AuditTrailOptions, TrailLogger } from './audit-trail.js';
export { LIVE_STATES, ROTATION_STATES, Rotations } from './rotations.js';
export type { Rotation, RotationCredential, RotationFilter, RotationPage, RotationState, StartRotationInput } from './rotations.js';
export { RevocationScheduler, classifyRevokeError } from './scheduler.js';
export type { RevocationResult, RevokeErrorInfo, RevokeOutcome, SchedulerLogger, SchedulerOptions } from './scheduler.js';
export { REDACTED } from './secrets.js';
export type { Clock } from './schema.js';
