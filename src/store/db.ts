/**
 * keygate's store: one schema on SQLite (embedded, the default) or PostgreSQL (a fleet), chosen by
 * DATABASE_URL, migrated at open. It never holds a secret or a credential (secrets.ts guards every
 * write); audit events and rotations hold key ids, names and hints.
 *
 * Usage (the gateway's side):
 *
 * ```ts
 * import { openStore, AuditEvents, AuditTrail, Rotations, RevocationScheduler } from './store/index.js';
 *
 * const store = await openStore({ url: process.env.DATABASE_URL, temporary: demoMode, hooks: {
 *   onError: (kind, error) => { metrics.storeErrors.inc({ kind }); logger.warn({ kind, err: error }, 'store error') },
 * } });
 * logger.info(`store: ${store.location} (${store.driver}), migrations applied: ${store.migrationsApplied.join(', ') || 'none'}`);
 *
 * // Audit: record() never throws and never makes the caller wait on a sick database (audit-trail.ts).
 * const events = new AuditEvents(store, { retentionDays: config.auditRetentionDays });
 * const trail = new AuditTrail(events, { logger, hooks: store.hooks });
 * trail.start();                         // retries queued writes, purges past retention
 * void trail.record({ requestId, client, operation: 'createOctopusApiKey', provider: 'OCTOPUS', account: 'default',
 *                     keyId, keyName, keyHint, outcome: 'OK' });
 * const page = await events.list({ first: 20, after, filter: { provider: 'OCTOPUS', since } });
 *
 * // Rotation (rotations.ts): record the intent before calling the provider, then each step.
 * const rotations = new Rotations(store);
 * const r = await rotations.start({ provider, account, oldKeyId, oldKeyName, oldKeyHint, newKeyName, overlapSeconds, startedBy });
 * const minted = await provider.create(r.newKeyName);            // secret goes to the client, never here
 * await rotations.recordNewKey(r.id, { newKeyId: minted.id, newKeyHint: minted.hint });
 * //   refused for sure (4xx): rotations.failCreate(r.id, code); outcome unknown: rotations.noteCreateUncertain(r.id, code)
 * //   after a crash: for (const p of await rotations.pendingCreates(fiveMinutesAgo)) look p.newKeyName up at the provider
 * //   cancelRotation: rotations.cancel(id); old key seen in use: rotations.flagOldKeyUsed(id, lastUsedAt)
 *
 * // Delayed revocation, once across the fleet (scheduler.ts).
 * const scheduler = new RevocationScheduler(rotations, { revoke: (rotation) => deleteOldKey(rotation), hooks: store.hooks });
 * scheduler.start();
 * const done = await scheduler.revokeNow(id);   // completeRotation: revoked within the call unless another instance holds it
 *
 * // /readyz
 * const health = await store.ping();     // { ok, dialect, latencyMs } or { ok: false, error }
 *
 * // shutdown: stop the loops first, then the store
 * await scheduler.close(); await trail.close(); await store.close();
 * ```
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Dialect as KyselyDialect } from 'kysely';
import type { Pool, PoolConfig } from 'pg';
import { StoreError, reportError, type StoreHooks } from './errors.js';
import { migrationProvider, type Dialect } from './migrations/index.js';
import type { Database } from './schema.js';
import { openSqlite, type SqliteDriverName } from './sqlite.js';

export type { Dialect } from './migrations/index.js';

/** Where DATABASE_URL points when it is not set: relative to the working directory, created on first use. */
export const DEFAULT_SQLITE_PATH = './data/keygate.sqlite';

export type DatabaseTarget =
  | { dialect: 'sqlite'; /** A file path, or ':memory:'. */ path: string }
  | { dialect: 'postgres'; connectionString: string };

export interface StoreOptions {
  /** DATABASE_URL. Unset or empty: SQLite at ./data/keygate.sqlite (or a temporary file, see below). */
  url?: string;
  /** When `url` is unset, use a fresh SQLite file in a temporary directory, removed by close(). For demo mode. */
  temporary?: boolean;
  hooks?: StoreHooks;
  postgres?: {
    /** Connections in the pool (default 10). */
    maxConnections?: number;
    /** How long to wait for a connection, from the pool or a new one (default 5000 ms). */
    connectTimeoutMs?: number;
    /** The server cancels a statement that runs longer (default 15000 ms). */
    statementTimeoutMs?: number;
  };
}

export type StoreHealth =
  | { ok: true; dialect: Dialect; latencyMs: number }
  | { ok: false; dialect: Dialect; error: 'STORE_TIMEOUT' | 'STORE_UNAVAILABLE' };

export interface Store extends AsyncDisposable {
  /** Kysely over the tables in schema.ts (camelCase in TypeScript, snake_case in SQL). */
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly driver: SqliteDriverName | 'pg';
  /** Where the store is, safe to log: the SQLite path, or the PostgreSQL URL with its password masked. */
  readonly location: string;
  /** Names of the migrations this open applied (empty when the schema was already current). */
  readonly migrationsApplied: readonly string[];
  readonly hooks: StoreHooks;
  /** One `select 1`, bounded by `timeoutMs` (default 2000). Never throws; failures also go to hooks.onError('health'). */
  ping(options?: { timeoutMs?: number }): Promise<StoreHealth>;
  /** Closes the connections (and removes a temporary database). Safe to call twice. */
  close(): Promise<void>;
}

const SUPPORTED = 'use sqlite:PATH, file:///ABSOLUTE/PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE';

/**
 * Reads DATABASE_URL. Errors name the variable and what is wrong, never the value (it may hold a
 * password), so config validation can call this at startup and print the message as it is.
 */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  const value = url?.trim() ?? '';
  if (value === '') return { dialect: 'sqlite', path: DEFAULT_SQLITE_PATH };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    try {
      const parsed = new URL(value);
      if (!parsed.hostname && !parsed.searchParams.get('host')) throw new Error('no host');
    } catch {
      throw new StoreError('BAD_DATABASE_URL', `DATABASE_URL is not a valid PostgreSQL URL (${SUPPORTED})`);
    }
    return { dialect: 'postgres', connectionString: value };
  }
  if (scheme === 'sqlite') {
    // sqlite:PATH, sqlite://PATH and sqlite:///ABSOLUTE all name a file path after the slashes.
    const rest = value.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new StoreError('BAD_DATABASE_URL', `DATABASE_URL names no SQLite file (${SUPPORTED})`);
    return { dialect: 'sqlite', path };
  }
  if (scheme === 'file') {
    // Only a real file URL: `file:./x` would silently become /x under URL rules.
    if (!/^file:\/\/(localhost)?\//i.test(value)) {
      throw new StoreError('BAD_DATABASE_URL', `DATABASE_URL: a file URL must be absolute (file:///...); for a relative path use sqlite:PATH`);
    }
    try {
      return { dialect: 'sqlite', path: fileURLToPath(value) };
    } catch {
      throw new StoreError('BAD_DATABASE_URL', `DATABASE_URL is not a valid file URL (${SUPPORTED})`);
    }
  }
  const named = scheme && scheme.length <= 20 ? `"${scheme}:" is not supported` : 'it has no scheme';
  throw new StoreError('BAD_DATABASE_URL', `DATABASE_URL: ${named} (${SUPPORTED})`);
}

/** A PostgreSQL URL with its password replaced by ***, for logs and messages. */
export function redactDatabaseUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

/** Opens the store and brings its schema up to date. Throws a StoreError when it cannot. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const hooks = options.hooks ?? {};
  const unset = !options.url?.trim();
  const target = parseDatabaseUrl(options.url);
  let temporaryDir: string | undefined;
  let dialect: KyselyDialect;
  let driver: Store['driver'];
  let location: string;

  if (target.dialect === 'sqlite') {
    let path = target.path;
    if (unset && options.temporary) {
      temporaryDir = await mkdtemp(join(tmpdir(), 'keygate-store-'));
      path = join(temporaryDir, 'keygate.sqlite');
    } else if (path !== ':memory:') {
      path = resolve(path);
      if (unset) await mkdir(dirname(path), { recursive: true });
      else await requireDirectory(dirname(path));
    }
    location = path === ':memory:' ? 'sqlite::memory:' : `sqlite:${path}`;
    const opened = openSqliteFile(path, location);
    driver = opened.driver;
    dialect = new SqliteDialect({ database: opened.handle });
  } else {
    location = redactDatabaseUrl(target.connectionString);
    const pool = await createPool(target.connectionString, options.postgres ?? {});
    // An idle client losing its connection (a server restart) is an 'error' event on the pool, which
    // would end the process if nobody listened. The pool replaces the client; we count it.
    pool.on('error', (error) => reportError(hooks, 'connection', error));
    driver = 'pg';
    dialect = new PostgresDialect({ pool });
  }

  const db = new Kysely<Database>({
    dialect,
    plugins: [new CamelCasePlugin()],
    // Every failed statement is a store error for /metrics. The query and its parameters are not passed on.
    log: (event) => {
      if (event.level === 'error') reportError(hooks, 'query', event.error);
    },
  });

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await db.destroy();
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
  };

  let migrationsApplied: string[];
  try {
    migrationsApplied = await migrate(db, target.dialect, location);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }

  const storeDialect = target.dialect;
  return {
    db,
    dialect: storeDialect,
    driver,
    location,
    migrationsApplied,
    hooks,
    ping: (pingOptions) => ping(db, storeDialect, hooks, pingOptions?.timeoutMs ?? 2000),
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function requireDirectory(dir: string): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the SQLite database: the directory ${dir} does not exist`);
  }
}

function openSqliteFile(path: string, location: string): ReturnType<typeof openSqlite> {
  let opened: ReturnType<typeof openSqlite>;
  try {
    opened = openSqlite(path);
  } catch (error) {
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the SQLite database ${location}`, { cause: error });
  }
  try {
    const { handle } = opened;
    // WAL: readers do not wait for the writer. synchronous=FULL: a committed rotation intent survives
    // a power cut, which is what it is recorded for. busy_timeout: wait for another connection's write
    // (a backup, an operator's sqlite3 shell) instead of failing at once.
    if (path !== ':memory:') handle.exec('PRAGMA journal_mode = WAL');
    handle.exec('PRAGMA synchronous = FULL');
    handle.exec('PRAGMA busy_timeout = 5000');
    handle.exec('PRAGMA foreign_keys = ON');
  } catch (error) {
    opened.handle.close();
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the SQLite database ${location}`, { cause: error });
  }
  return opened;
}

async function createPool(connectionString: string, options: NonNullable<StoreOptions['postgres']>): Promise<Pool> {
  // Loaded only for a PostgreSQL store, as ioredis is only for REDIS_URL.
  const { default: pg } = await import('pg');
  const int8 = pg.types.builtins.INT8;
  const config: PoolConfig = {
    connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: 'keygate',
    // Row ids are bigint; pg returns those as strings. Ours stay far below 2^53, so numbers, as SQLite gives.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8 && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  return new pg.Pool(config);
}

async function migrate(db: Kysely<Database>, dialect: Dialect, location: string): Promise<string[]> {
  // Migrations speak SQL's snake_case themselves, without the camelCase mapping.
  const migrator = new Migrator({ db: db.withoutPlugins(), provider: migrationProvider(dialect) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    throw new StoreError('STORE_UNAVAILABLE', `cannot reach the database at ${location}`, { cause: error });
  }
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const message = error instanceof Error ? error.message : String(error);
    if (failed) throw new StoreError('MIGRATION_FAILED', `migration ${failed} failed on ${location}`, { cause: error });
    if (/previously executed migration .* is missing/.test(message)) {
      throw new StoreError(
        'MIGRATION_FAILED',
        `the database at ${location} was migrated by a newer keygate (it has migrations this version does not know); run that version or a newer one`,
        { cause: error },
      );
    }
    // Kysely reports a failure to connect or to take its migration lock the same way.
    throw new StoreError('STORE_UNAVAILABLE', `cannot migrate the database at ${location}`, { cause: error });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

async function ping(db: Kysely<Database>, dialect: Dialect, hooks: StoreHooks, timeoutMs: number): Promise<StoreHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const answer = await Promise.race([sql`select 1`.execute(db), timeout]);
    if (answer === 'timeout') {
      reportError(hooks, 'health', new Error(`the database did not answer within ${timeoutMs} ms`));
      return { ok: false, dialect, error: 'STORE_TIMEOUT' };
    }
    return { ok: true, dialect, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    reportError(hooks, 'health', error);
    return { ok: false, dialect, error: 'STORE_UNAVAILABLE' };
  } finally {
    clearTimeout(timer);
  }
}
