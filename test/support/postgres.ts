// A real PostgreSQL server (Debian's postgresql package) in a temporary directory, for the store
// tests, started with initdb and pg_ctl as the Redis tests start redis-server. PostgreSQL refuses to
// run as root, so as root (CI) the server runs as the `postgres` system user the package creates.
// Without the server binaries the PostgreSQL tests skip with a message, unless REQUIRE_POSTGRES=1
// (set by .ci/run), where a missing server must fail rather than pass quietly.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The directory holding initdb, pg_ctl and postgres: the newest /usr/lib/postgresql/N/bin, or PG_BIN. */
function findBinaries(): string | undefined {
  const candidates = process.env.PG_BIN ? [process.env.PG_BIN] : [];
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => `/usr/lib/postgresql/${version}/bin`));
  } catch {
    // no Debian postgresql package
  }
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((bin) => existsSync(join(dir, bin))));
}

export const PG_BIN = findBinaries();

const asRoot = process.getuid?.() === 0;

if (!PG_BIN && process.env.REQUIRE_POSTGRES === '1') {
  throw new Error('REQUIRE_POSTGRES=1 but no PostgreSQL server binaries were found in /usr/lib/postgresql/*/bin (apt-get install postgresql)');
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresMissing = PG_BIN
  ? undefined
  : 'PostgreSQL tests SKIPPED: no server binaries in /usr/lib/postgresql/*/bin. Install Debian\'s postgresql package to run them.';

if (postgresMissing) console.warn(`\n  ${postgresMissing}\n`);

export interface PostgresServer {
  port: number;
  /** The cluster's data directory (tests scan its files for secrets). */
  dataDir: string;
  /** The superuser's password (it appears in every URL, so tests can check it never leaks). */
  password: string;
  /** A URL for a new, empty database of its own. */
  createDatabase(): Promise<string>;
  /** Runs SQL as the superuser in `database` (for tests that break or inspect a database from outside). */
  admin<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/** Runs a server binary, as the postgres user when we are root. */
async function pgCommand(bin: string, args: string[]): Promise<void> {
  const path = join(PG_BIN!, bin);
  const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  await run(command, commandArgs, { timeout: 60_000 });
}

/**
 * initdb a cluster with a password-protected superuser `keygate`, then start it on a free loopback
 * port with a socket directory of its own and durability off (fsync, synchronous_commit,
 * full_page_writes): these databases live for one test file.
 */
export async function startPostgres(): Promise<PostgresServer> {
  if (!PG_BIN) throw new Error(postgresMissing);
  const dir = await mkdtemp(join(tmpdir(), 'keygate-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  const log = join(dir, 'server.log');
  const password = `pw${randomBytes(12).toString('hex')}`;
  await mkdir(sockets);
  await writeFile(join(dir, 'password'), password);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('running as root, but there is no postgres system user to run PostgreSQL as (apt-get install postgresql creates it)');
    });
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    for (const path of [dir, sockets, join(dir, 'password')]) await chown(path, Number(stdout), Number(gid));
  }

  await pgCommand('initdb', [
    '-D', data, '-U', 'keygate', `--pwfile=${join(dir, 'password')}`,
    '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync',
  ]);

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const options = [
      `-p ${port}`, `-k ${sockets}`, '-c listen_addresses=127.0.0.1',
      '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=100', '-c shared_buffers=32MB',
    ].join(' ');
    try {
      await pgCommand('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', log, '-o', options]);
      break;
    } catch (error) {
      // Another process may have taken the port between freePort() and the server's bind.
      if (attempt === 3) {
        const output = await readFile(log, 'utf8').catch(() => '');
        await rm(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${output}`);
      }
    }
  }

  const url = (database: string) => `postgres://keygate:${password}@127.0.0.1:${port}/${database}`;
  const admin = async <T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  let databases = 0;
  let stopped = false;

  return {
    port,
    password,
    dataDir: data,
    admin,
    async createDatabase() {
      const name = `keygate_test_${++databases}`;
      await admin('postgres', (client) => client.query(`CREATE DATABASE ${name}`));
      return url(name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await pgCommand('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
