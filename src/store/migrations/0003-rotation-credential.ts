import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Whose credential a rotation acts with: keygate's configured one, or one the request brought
 * (`FORWARDED`), which keygate never keeps. Only a request bringing such a credential may revoke or
 * settle the latter: keygate's own may not see that user's keys at all, and would read the old key
 * as already gone.
 *
 * Rotations in flight at the upgrade were made before the column: those that may have been made with
 * a forwarded credential (an overlap of 0, which a forwarded credential always has, and a revocation
 * still to come) are marked FORWARDED. That is the safe side: a configured one among them is left to
 * a person, where the other way a forwarded one's "not found" would have read as revoked.
 */
export function rotationCredential(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('rotations')
        .addColumn('credential', 'text', (c) => c.notNull().defaultTo('CONFIGURED'))
        .execute();
      await sql`update rotations set credential = 'FORWARDED' where overlap_seconds = 0 and state in ('PENDING_CREATE', 'OVERLAP')`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('rotations').dropColumn('credential').execute();
    },
  };
}
