// The store tests run every case against both databases: SQLite in a temporary directory, and a
// real PostgreSQL server (test/support/postgres.ts) shared by the file, with a fresh database per test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { openStore, type Store, type StoreOptions } from '../../src/store/db.js';
import type { StoreErrorKind } from '../../src/store/errors.js';
import { postgresMissing, startPostgres, type PostgresServer } from './postgres.js';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here (its tests are skipped with this as the reason). */
  missing?: string;
  /** Registers the file's beforeAll/afterAll (a PostgreSQL server for the file). Call in the describe body. */
  setup(): void;
  /** A DATABASE_URL for a new, empty database, removed (SQLite) or left to the server's end (PostgreSQL). */
  freshUrl(): Promise<string>;
  /** The running PostgreSQL server, for tests that reach into it from outside. */
  server(): PostgresServer;
}

export function backends(): Backend[] {
  let server: PostgresServer | undefined;
  return [
    {
      name: 'sqlite',
      setup() {},
      async freshUrl() {
        const dir = await mkdtemp(join(tmpdir(), 'keygate-sqlite-'));
        onTestFinished(() => rm(dir, { recursive: true, force: true }));
        return `sqlite:${join(dir, 'keygate.sqlite')}`;
      },
      server() {
        throw new Error('no PostgreSQL server for the sqlite backend');
      },
    },
    {
      name: 'postgres',
      missing: postgresMissing,
      setup() {
        beforeAll(async () => {
          server = await startPostgres();
        }, 60_000);
        afterAll(() => server?.stop());
      },
      freshUrl: () => server!.createDatabase(),
      server: () => server!,
    },
  ];
}

/** Store errors reported through the hook, by kind, for assertions. */
export type ErrorLog = Record<StoreErrorKind, unknown[]>;

export function errorLog(): { log: Partial<ErrorLog>; hooks: NonNullable<StoreOptions['hooks']> } {
  const log: Partial<ErrorLog> = {};
  return { log, hooks: { onError: (kind, error) => (log[kind] ??= []).push(error) } };
}

/** Opens a store on `url` (default: a fresh database) and closes it when the test ends. */
export async function openTestStore(backend: Backend, options: StoreOptions = {}): Promise<Store> {
  const store = await openStore({ ...options, url: options.url ?? (await backend.freshUrl()) });
  onTestFinished(() => store.close());
  return store;
}

/** A clock the test moves by hand: the store's times come from it, so no test waits for time to pass. */
export class TestClock {
  private time: number;

  constructor(start = '2026-11-30T12:00:00.000Z') {
    this.time = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.time);

  advance(ms: number): void {
    this.time += ms;
  }

  set(iso: string): void {
    this.time = Date.parse(iso);
  }
}

/** A promise with its resolve at hand, to hold a callback until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Every row of every table in the database, keygate's, Kysely's migration tables and SQLite's own
 * (sqlite_sequence), as the database returns them, for secret scans.
 */
export async function dumpAllTables(store: Store): Promise<{ table: string; rows: Record<string, unknown>[] }[]> {
  const db = store.db.withoutPlugins();
  const listed =
    store.dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(db);
  const names = listed.rows.map((row) => row.name);
  for (const table of ['audit_events', 'rotations', 'kysely_migration', 'kysely_migration_lock']) {
    if (!names.includes(table)) throw new Error(`dumpAllTables: table ${table} not found (found ${names.join(', ')})`);
  }
  return Promise.all(
    names.map(async (table) => ({
      table,
      rows: (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows,
    })),
  );
}
