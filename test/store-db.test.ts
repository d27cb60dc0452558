import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_SQLITE_PATH, openStore, parseDatabaseUrl, redactDatabaseUrl } from '../src/store/db.js';
import { StoreError } from '../src/store/errors.js';
import { Rotations } from '../src/store/rotations.js';
import { backends, deferred, errorLog, openTestStore } from './support/stores.js';

const MIGRATIONS = ['0001-audit-events', '0002-rotations', '0003-rotation-credential', '0004-forwarded-in-flight'];

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'keygate-db-')));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('DATABASE_URL', () => {
  it('reads every supported form', () => {
    expect(parseDatabaseUrl(undefined)).toEqual({ dialect: 'sqlite', path: DEFAULT_SQLITE_PATH });
    expect(parseDatabaseUrl('  ')).toEqual({ dialect: 'sqlite', path: './data/keygate.sqlite' });
    expect(parseDatabaseUrl('sqlite:./var/k.sqlite')).toEqual({ dialect: 'sqlite', path: './var/k.sqlite' });
    expect(parseDatabaseUrl('sqlite:/srv/k.sqlite')).toEqual({ dialect: 'sqlite', path: '/srv/k.sqlite' });
    expect(parseDatabaseUrl('sqlite:///srv/k.sqlite')).toEqual({ dialect: 'sqlite', path: '/srv/k.sqlite' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('file:///srv/my%20keys.sqlite')).toEqual({ dialect: 'sqlite', path: '/srv/my keys.sqlite' });
    expect(parseDatabaseUrl('postgres://u:p@db:5432/keygate')).toEqual({ dialect: 'postgres', connectionString: 'postgres://u:p@db:5432/keygate' });
    expect(parseDatabaseUrl('postgresql://db/keygate?sslmode=require')).toMatchObject({ dialect: 'postgres' });
  });

  it('refuses anything else with a coded message that names the variable, never the value', () => {
    const secretish = 'hunter2-do-not-print';
    for (const url of [
      `mysql://root:${secretish}@db/keygate`,
      `${secretish}`,
      `file:./${secretish}.sqlite`,
      `postgres://root:${secretish}@`,
      'sqlite:',
    ]) {
      let error: unknown;
      try {
        parseDatabaseUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('BAD_DATABASE_URL');
      expect((error as StoreError).message).toMatch(/^DATABASE_URL/);
      expect((error as StoreError).message).not.toContain(secretish);
    }
  });

  it('masks the password of a PostgreSQL URL for logs', () => {
    expect(redactDatabaseUrl('postgres://keygate:s3cr%40t@db:5432/keygate?sslpassword=x&sslmode=require')).toBe(
      'postgres://keygate:***@db:5432/keygate?sslpassword=***&sslmode=require',
    );
    expect(redactDatabaseUrl('postgres://db/keygate')).toBe('postgres://db/keygate');
  });

  it('says a PostgreSQL server cannot be reached without echoing the password', async () => {
    // Port 9 (discard) on loopback: nothing listens there.
    const error = await storeError(openStore({ url: 'postgres://keygate:hunter2-pw@127.0.0.1:9/keygate', postgres: { connectTimeoutMs: 2000 } }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toBe('cannot reach the database at postgres://keygate:***@127.0.0.1:9/keygate');
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain('hunter2');
  });
});

describe('SQLite files', () => {
  it('defaults to ./data/keygate.sqlite under the working directory, creating the folder on first use', async () => {
    const dir = await tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    onTestFinished(() => process.chdir(cwd));
    const store = await openStore({});
    onTestFinished(() => store.close());
    expect(store.location).toBe(`sqlite:${join(dir, 'data', 'keygate.sqlite')}`);
    expect(existsSync(join(dir, 'data', 'keygate.sqlite'))).toBe(true);
  });

  it('gives demo mode a temporary database that close() removes', async () => {
    const store = await openStore({ temporary: true });
    const path = store.location.slice('sqlite:'.length);
    expect(path.startsWith(await realpath(tmpdir())) || path.startsWith(tmpdir())).toBe(true);
    expect(existsSync(path)).toBe(true);
    await store.close();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a file in a folder that does not exist, and names the folder', async () => {
    const dir = await tempDir();
    const error = await storeError(openStore({ url: `sqlite:${dir}/missing/keygate.sqlite` }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toBe(`cannot open the SQLite database: the directory ${dir}/missing does not exist`);
  });

  it('runs on node:sqlite where Node has it (22.16+, 24), else on better-sqlite3', async () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const builtin = major > 22 || (major === 22 && minor >= 16);
    const store = await openStore({ url: 'sqlite::memory:' });
    onTestFinished(() => store.close());
    expect(store.driver).toBe(builtin ? 'node:sqlite' : 'better-sqlite3');
    // Both speak SQLite with RETURNING (3.35+), which the store uses.
    const { rows } = await sql<{ version: string }>`select sqlite_version() as version`.execute(store.db);
    const [vMajor = 0, vMinor = 0] = rows[0]!.version.split('.').map(Number);
    expect(vMajor * 1000 + vMinor).toBeGreaterThanOrEqual(3035);
  });
});

describe.each(backends())('store on $name', (backend) => {
  if (backend.missing) {
    it.skip(backend.missing, () => {});
    return;
  }
  backend.setup();

  it('migrates an empty database, and a second open finds nothing to do', async () => {
    const url = await backend.freshUrl();
    const first = await openStore({ url });
    expect(first.dialect).toBe(backend.name);
    expect(first.migrationsApplied).toEqual(MIGRATIONS);
    await first.close();

    const second = await openTestStore(backend, { url });
    expect(second.migrationsApplied).toEqual([]);
    const executed = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(second.db);
    expect(executed.rows.map((r) => r.name)).toEqual(MIGRATIONS);
    // The tables are there and usable through the camelCase mapping.
    expect(await second.db.selectFrom('auditEvents').selectAll().execute()).toEqual([]);
    expect(await second.db.selectFrom('rotations').selectAll().execute()).toEqual([]);
  });

  it.runIf(backend.name === 'postgres')('lets a fleet start at once: the migrations run exactly once', async () => {
    const url = await backend.freshUrl();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openTestStore(backend, { url })));
    expect(stores.flatMap((s) => s.migrationsApplied).sort()).toEqual(MIGRATIONS);
  });

  it('marks live rotations made before 0003 that may have used a forwarded credential as FORWARDED', async () => {
    const url = await backend.freshUrl();
    // Rotations recorded, then the schema taken back to before 0003, rows kept.
    const ids = await (async () => {
      await using before = await openStore({ url });
      const rotations = new Rotations(before);
      const input = (oldKeyId: string, overlapSeconds: number, account = 'default') => ({
        provider: 'OCTOPUS' as const, account, oldKeyId, oldKeyName: 'k', oldKeyHint: null, newKeyName: 'k', overlapSeconds, startedBy: 'test',
      });
      const pending = await rotations.start(input('Users-1/apikeys-1', 0));
      const overlap = await rotations.start(input('Users-1/apikeys-2', 0));
      await rotations.recordNewKey(overlap.id, { newKeyId: 'Users-1/apikeys-9' });
      const held = await rotations.start(input('Users-1/apikeys-5', 0));
      await rotations.recordNewKey(held.id, { newKeyId: 'Users-1/apikeys-8' }, { undelivered: true });
      const later = await rotations.start(input('Users-1/apikeys-3', 600));
      const failed = await rotations.start(input('Users-1/apikeys-4', 0));
      await rotations.failCreate(failed.id, 'FORBIDDEN');
      const other = await rotations.start(input('Users-1/apikeys-6', 0, 'staging'));
      await sql`alter table rotations drop column credential`.execute(before.db);
      await sql`delete from kysely_migration where name in ('0003-rotation-credential', '0004-forwarded-in-flight')`.execute(before.db);
      return { pending: pending.id, overlap: overlap.id, held: held.id, later: later.id, failed: failed.id, other: other.id };
    })();
    const after = await openTestStore(backend, { url });
    expect(after.migrationsApplied).toEqual(['0003-rotation-credential', '0004-forwarded-in-flight']);
    const rows = (await new Rotations(after).list({ first: 10 })).edges.map(({ node }) => node);
    expect(rows.find((r) => r.id === ids.held)!.state).toBe('NEEDS_ATTENTION');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.credential]))).toEqual({
      [ids.pending]: 'FORWARDED', [ids.overlap]: 'FORWARDED', [ids.held]: 'FORWARDED', [ids.later]: 'CONFIGURED', [ids.failed]: 'CONFIGURED', [ids.other]: 'CONFIGURED',
    });
  });

  it('leaves rotations made after 0003 ran with the credential they recorded, when 0004 runs later', async () => {
    const url = await backend.freshUrl();
    const ids = await (async () => {
      await using before = await openStore({ url });
      // A database where 0003 ran in an earlier release (the migrations' times in their order), and 0004 not yet.
      for (const [i, name] of MIGRATIONS.slice(0, 3).entries()) {
        await sql`update kysely_migration set timestamp = ${`2026-01-01T00:00:00.00${i}Z`} where name = ${name}`.execute(before.db);
      }
      await sql`delete from kysely_migration where name = '0004-forwarded-in-flight'`.execute(before.db);
      const rotations = new Rotations(before);
      const input = (oldKeyId: string, credential: 'CONFIGURED' | 'FORWARDED') => ({
        provider: 'OCTOPUS' as const, account: 'default', oldKeyId, oldKeyName: 'k', oldKeyHint: null, newKeyName: 'k', overlapSeconds: 0, startedBy: 'test', credential,
      });
      const configured = await rotations.start(input('Users-1/apikeys-1', 'CONFIGURED'));
      const forwarded = await rotations.start(input('Users-1/apikeys-2', 'FORWARDED'));
      return { configured: configured.id, forwarded: forwarded.id };
    })();
    const after = await openTestStore(backend, { url });
    expect(after.migrationsApplied).toEqual(['0004-forwarded-in-flight']);
    const rows = (await new Rotations(after).list({ first: 10 })).edges.map(({ node }) => node);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.credential]))).toEqual({ [ids.configured]: 'CONFIGURED', [ids.forwarded]: 'FORWARDED' });
  });

  it('refuses a database that a newer keygate has migrated', async () => {
    const url = await backend.freshUrl();
    const store = await openStore({ url });
    await sql`insert into kysely_migration (name, timestamp) values ('0099-from-a-newer-keygate', '2026-12-01T00:00:00.000Z')`.execute(store.db);
    await store.close();
    const error = await storeError(openStore({ url }));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toMatch(/was migrated by a newer keygate/);
  });

  it('answers ping with its latency; with STORE_TIMEOUT when no connection frees up; with STORE_UNAVAILABLE once closed', async () => {
    const { log, hooks } = errorLog();
    const store = await openTestStore(backend, { hooks, postgres: { maxConnections: 1 } });
    const ok = await store.ping();
    expect(ok).toMatchObject({ ok: true, dialect: backend.name });
    expect(ok.ok && ok.latencyMs).toBeGreaterThanOrEqual(0);

    // Hold the only connection in a transaction: the ping cannot get one until it is released.
    const release = deferred();
    const entered = deferred();
    const held = store.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      entered.resolve();
      await release.promise;
    });
    await entered.promise;
    expect(await store.ping({ timeoutMs: 50 })).toEqual({ ok: false, dialect: backend.name, error: 'STORE_TIMEOUT' });
    release.resolve();
    await held;
    expect(log.health).toHaveLength(1);

    await store.close();
    expect(await store.ping()).toEqual({ ok: false, dialect: backend.name, error: 'STORE_UNAVAILABLE' });
    expect(log.health).toHaveLength(2);
  });

  it('counts every failed statement as a store error', async () => {
    const { log, hooks } = errorLog();
    const store = await openTestStore(backend, { hooks });
    await expect(sql`select * from no_such_table`.execute(store.db)).rejects.toThrow();
    expect(log.query).toHaveLength(1);
  });

  it.runIf(backend.name === 'postgres')('survives the server dropping its connections: ping says so, then recovers', async () => {
    const { log, hooks } = errorLog();
    const url = await backend.freshUrl();
    const database = new URL(url).pathname.slice(1);
    const store = await openTestStore(backend, { url, hooks });
    expect((await store.ping()).ok).toBe(true);

    const server = backend.server();
    const setConnections = (allow: boolean) =>
      server.admin('postgres', async (client) => {
        await client.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS ${allow}`);
        if (!allow) {
          await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database]);
          // Wait until the server has let them go: a condition, not a time.
          while ((await client.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1`, [database])).rowCount! > 0) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      });
    await setConnections(false);
    expect(await store.ping()).toEqual({ ok: false, dialect: 'postgres', error: 'STORE_UNAVAILABLE' });
    expect(log.health?.length).toBeGreaterThanOrEqual(1);
    const reported = Object.values(log).flat().map((e) => `${(e as Error).message}\n${(e as Error).stack}`);
    expect(reported.join('\n')).not.toContain(server.password);

    await setConnections(true);
    expect((await store.ping()).ok).toBe(true);
  });
});
