import { sql, type Kysely, type Migration } from 'kysely';

/**
 * 0003 gave every rotation made before it the credential CONFIGURED. One made with a credential a
 * request brought and still live then would be revoked with keygate's own credential, which may not
 * see that user's keys: "not found" would read as revoked, with the old key live. Those that may
 * have been (a forwarded credential only ever acts for the `default` account, always with an overlap
 * of 0) and are still live are marked FORWARDED: the safe side, where a configured one among them
 * is left to a person instead. Its own migration, since 0003 may have run already.
 *
 * Only rotations made before 0003 ran: those made since carry the credential they were made with.
 * (Changed after it shipped, the one exception to "a shipped migration never changes": it first
 * marked those too, and a database where it has not run yet should not lose what they recorded. A
 * database where it ran keeps its result, the safe side.) 0003's time is read first and passed as a
 * parameter: PostgreSQL will not compare the column, in the "C" collation, with Kysely's table's.
 */
export function forwardedInFlight(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const { rows } = await sql<{ timestamp: string }>`select timestamp from kysely_migration where name = '0003-rotation-credential'`.execute(db);
      const before = rows[0]?.timestamp;
      if (before === undefined) throw new Error('0004-forwarded-in-flight runs after 0003-rotation-credential');
      await sql`update rotations set credential = 'FORWARDED'
        where account = 'default' and overlap_seconds = 0 and state in ('PENDING_CREATE', 'OVERLAP', 'NEEDS_ATTENTION')
        and created_at < ${before}`.execute(db);
    },
    // Which rows it marked is not recorded: going back leaves them FORWARDED, the safe side.
    async down() {},
  };
}
