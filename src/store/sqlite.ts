import { createRequire } from 'node:module';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Which SQLite binding runs keygate's embedded database:
 * - `node:sqlite`, built into Node (24 and 22.16+; it needs `StatementSync#columns`, which Kysely's
 *   driver needs to tell a query that returns rows from one that does not). Nothing to install.
 * - `better-sqlite3` 12 everywhere else (Node 20). A native addon compiled at `npm ci` for the Node
 *   that ran it, so it is only loaded when chosen: the same node_modules then also serves Node 24,
 *   which would refuse an addon compiled for Node 20.
 * Both are synchronous, in-process, and pass Kysely's own SQLite driver the same interface.
 */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** A database handle that Kysely's SqliteDialect takes, plus `exec` for the PRAGMAs set at open. */
export interface SqliteHandle extends SqliteDatabase {
  exec(sql: string): void;
}

// node:sqlite as far as we use it (@types/node 20 does not describe it).
interface NodeSqliteStatement {
  columns(): unknown[];
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
}
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: (new (path: string) => NodeSqliteDatabase) & { prototype: NodeSqliteDatabase };
  StatementSync: { prototype: Partial<NodeSqliteStatement> };
}

function builtinSqlite(): NodeSqliteModule | undefined {
  // getBuiltinModule answers undefined where there is no such module (Node 20), and is itself
  // missing before Node 20.16, so both are looked up, never required.
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const sqlite = getBuiltin?.call(process, 'node:sqlite') as NodeSqliteModule | undefined;
  return sqlite && typeof sqlite.StatementSync?.prototype.columns === 'function' ? sqlite : undefined;
}

/** The binding this process would use: the answer does not change while it runs. */
export function sqliteDriverName(): SqliteDriverName {
  return builtinSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

/** Opens (creating if need be) the SQLite file at `path`, or an in-memory database for ':memory:'. */
export function openSqlite(path: string): { handle: SqliteHandle; driver: SqliteDriverName } {
  const builtin = builtinSqlite();
  if (builtin) return { handle: wrapNodeSqlite(new builtin.DatabaseSync(path)), driver: 'node:sqlite' };
  return { handle: openBetterSqlite3(path), driver: 'better-sqlite3' };
}

function openBetterSqlite3(path: string): SqliteHandle {
  const require = createRequire(import.meta.url);
  let BetterSqlite3: new (path: string) => SqliteHandle;
  try {
    BetterSqlite3 = require('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new Error(
      `SQLite needs node:sqlite (Node 22.16 or later) or the better-sqlite3 addon built for this Node ${process.version} ` +
        '(npm ci builds it; after switching Node versions run `npm rebuild better-sqlite3`)',
      { cause: error },
    );
  }
  return new BetterSqlite3(path);
}

/**
 * node:sqlite's statements take their parameters spread, not as an array, and have no `reader`
 * flag: a statement that has result columns (a SELECT, or a write with RETURNING) is a reader.
 */
function wrapNodeSqlite(db: NodeSqliteDatabase): SqliteHandle {
  return {
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql): SqliteStatement {
      const statement = db.prepare(sql);
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...parameters),
        run: (parameters) => statement.run(...parameters),
        iterate: (parameters) => statement.iterate(...parameters),
      };
    },
  };
}
