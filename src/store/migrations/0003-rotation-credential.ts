import type { Kysely, Migration } from 'kysely';

/**
 * Whose credential a rotation acts with: keygate's configured one, or one the request brought
 * (`FORWARDED`), which keygate never keeps. Only a request bringing such a credential may revoke or
 * settle the latter: keygate's own may not see that user's keys at all, and would read the old key
 * as already gone.
 */
export function rotationCredential(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('rotations')
        .addColumn('credential', 'text', (c) => c.notNull().defaultTo('CONFIGURED'))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('rotations').dropColumn('credential').execute();
    },
  };
}
