import { sql, type Kysely, type Migration } from 'kysely';
import type { SchemaTypes } from './dialect.js';

/** Key rotations as durable records, and the delayed revocation of each old key (rotations.ts). */
export function rotations(types: SchemaTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('rotations')
        .addColumn('id', types.idType, types.id)
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('old_key_id', 'text', (c) => c.notNull())
        .addColumn('old_key_name', 'text', (c) => c.notNull())
        .addColumn('old_key_hint', 'text')
        .addColumn('new_key_name', 'text', (c) => c.notNull())
        .addColumn('new_key_id', 'text')
        .addColumn('new_key_hint', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('overlap_seconds', 'integer', (c) => c.notNull())
        .addColumn('revoke_old_at', types.timeType)
        .addColumn('old_key_used_at', types.timeType)
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', types.timeType)
        .addColumn('last_error', 'text')
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_until', types.timeType)
        .addColumn('started_by', 'text', (c) => c.notNull())
        .addColumn('created_at', types.timeType, (c) => c.notNull())
        .addColumn('updated_at', types.timeType, (c) => c.notNull())
        .execute();
      // One live rotation per key, across the whole fleet: the database refuses a second one, so two
      // instances that start rotating the same key at once cannot both mint a new key.
      await db.schema
        .createIndex('rotations_one_active_per_key')
        .unique()
        .on('rotations')
        .columns(['provider', 'account', 'old_key_id'])
        .where(sql.raw<boolean>(`state in ('PENDING_CREATE', 'OVERLAP', 'NEEDS_ATTENTION')`))
        .execute();
      // The scheduler's question: which overlaps have ended.
      await db.schema.createIndex('rotations_due').on('rotations').columns(['state', 'revoke_old_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('rotations').execute();
    },
  };
}
