import type { Kysely, Migration } from 'kysely';
import type { SchemaTypes } from './dialect.js';

/** The audit trail: who did what to which key, and how it ended. Hints only, never a secret. */
export function auditEvents(types: SchemaTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_events')
        .addColumn('id', types.idType, types.id)
        .addColumn('at', types.timeType, (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        // Null when the operation never got far enough to name one (refused before it ran).
        .addColumn('provider', 'text')
        .addColumn('account', 'text')
        .addColumn('key_id', 'text')
        .addColumn('key_name', 'text')
        .addColumn('key_hint', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      // Newest first, and the retention purge: both walk `at`.
      await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at', 'id']).execute();
      // "What happened to this key" and "what did this client do" are the two questions an incident asks.
      await db.schema.createIndex('audit_events_key').on('audit_events').columns(['key_id', 'at']).execute();
      await db.schema.createIndex('audit_events_client').on('audit_events').columns(['client', 'at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('audit_events').execute();
    },
  };
}
