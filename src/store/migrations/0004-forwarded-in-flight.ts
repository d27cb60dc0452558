import { sql, type Kysely, type Migration } from 'kysely';

/**
 * 0003 gave every rotation made before it the credential CONFIGURED. One made with a credential a
 * request brought and still live then would be revoked with keygate's own credential, which may not
 * see that user's keys: "not found" would read as revoked, with the old key live. Those that may
 * have been (a forwarded credential only ever acts for the `default` account, always with an overlap
 * of 0) and are still live are marked FORWARDED: the safe side, where a configured one among them
 * is left to a person instead. Its own migration, since 0003 may have run already.
 */
export function forwardedInFlight(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`update rotations set credential = 'FORWARDED'
        where account = 'default' and overlap_seconds = 0 and state in ('PENDING_CREATE', 'OVERLAP', 'NEEDS_ATTENTION')`.execute(db);
    },
    // Which rows it marked is not recorded: going back leaves them FORWARDED, the safe side.
    async down() {},
  };
}
