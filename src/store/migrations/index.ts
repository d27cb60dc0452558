import type { Migration, MigrationProvider } from 'kysely';
import { auditEvents } from './0001-audit-events.js';
import { rotations } from './0002-rotations.js';
import { rotationCredential } from './0003-rotation-credential.js';
import { forwardedInFlight } from './0004-forwarded-in-flight.js';
import { schemaTypes, type Dialect } from './dialect.js';

export type { Dialect } from './dialect.js';

/**
 * Every migration, by name, in the order they run (Kysely sorts by name). Listed here rather than
 * found by scanning a folder, so the same list runs from dist/ and from the TypeScript sources.
 * A shipped migration never changes (one exception, explained in 0004): a new schema change is a new
 * file with the next number.
 */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const types = schemaTypes(dialect);
  const migrations: Record<string, Migration> = {
    '0001-audit-events': auditEvents(types),
    '0002-rotations': rotations(types),
    '0003-rotation-credential': rotationCredential(),
    '0004-forwarded-in-flight': forwardedInFlight(),
  };
  return { getMigrations: async () => migrations };
}
