// Starts keygate: configuration, demo simulators when nothing is configured, the HTTP server, and a
// shutdown that lets in-flight requests finish. Loaded by main.ts once the Node.js version is checked.
import { ConfigError, hasClientAuth, loadConfig, type Config } from './config.js';
import type { Demo } from './demo.js';
import { createGateway } from './gateway.js';
import { createLogger } from './logger.js';
import { createHttpServer, listen } from './server.js';
import { StoreError, openStore } from './store/index.js';

/** How long the store's last writes may take once what is left has been cut at shutdown. */
const STORE_CLOSE_MS = 5_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);

  let demo: Demo | undefined;
  if (config.demo) {
    // Loaded only in demo mode: a production gateway never carries the simulators in memory.
    const { startDemo } = await import('./demo.js');
    demo = await startDemo(config);
    config = demo.config;
  }

  // The store (audit trail, rotations): opened and migrated before anything listens. Demo mode
  // without DATABASE_URL uses a temporary file, gone when the demo stops.
  const store = await openStore({ url: config.store.databaseUrl, temporary: config.demo && !config.store.databaseUrl, hooks: {} });
  logger.info({ store: store.location, driver: store.driver, migrations: store.migrationsApplied }, 'store open');

  const gateway = createGateway(config, { logger, store });
  const server = createHttpServer(gateway);
  const { url } = await listen(server, gateway, config.port, config.host);
  logger.info(
    {
      url,
      graphiql: config.graphiql && !config.persistedOperations ? `${url}/graphql` : undefined,
      console: `${url}/`,
      demo: demo ? { octopus: demo.octopusUrl, hyperstack: demo.hyperstackUrl } : undefined,
      accounts: config.accounts.map((a) => `${a.provider.toLowerCase()}/${a.name}`),
      clientAuth: hasClientAuth(config),
      trustedDocuments: config.persistedOperations?.size,
    },
    `keygate listening on ${url}`,
  );
  // Where it listens is worth saying even when info lines are filtered out.
  if (!logger.isLevelEnabled('info')) process.stdout.write(`keygate listening on ${url}\n`);
  if (demo) {
    // People read this one: plain words, once, in demo mode only.
    process.stdout.write(
      [
        '',
        `  keygate is running: GraphiQL ${url}/graphql, key console ${url}/`,
        '  DEMO MODE: talking to the built-in simulators with seed data, not to real providers.',
        `  Octopus simulator ${demo.octopusUrl}, Hyperstack simulator ${demo.hyperstackUrl}`,
        '  Set OCTOPUS_URL / OCTOPUS_API_KEY / HYPERSTACK_API_KEY to use real providers.',
        '',
      ].join('\n') + '\n',
    );
  }

  let stopping = false;
  let cutting = false;
  /**
   * Ends what is left: the grace period is over, or a second signal asked for it. Connections and
   * upstream pools close now; the store's last writes get a few seconds more, then the process stops
   * without them (a database that stopped answering would hold them for ever).
   */
  const cut = (message: string) => {
    if (cutting) return;
    cutting = true;
    logger.warn({ graceMs: config.shutdownGraceMs }, message);
    server.closeAllConnections();
    gateway.destroy().catch(() => {}); // upstream calls still waiting would otherwise hold the pools' close() open
    setTimeout(() => {
      logger.error({ waitedMs: STORE_CLOSE_MS }, 'the store did not close in time; stopping without its last writes');
      logger.flush();
      process.exit(0);
    }, STORE_CLOSE_MS).unref();
  };
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return cut(`${signal} again: closing what is left now`);
    stopping = true;
    gateway.drain();
    logger.info({ signal }, 'no longer accepting connections or key creations; letting in-flight requests finish');
    // close() stops accepting and resolves once every connection has ended.
    server.close(() => {
      // Settled, not all-or-nothing: after the grace period the pools are destroyed under a pending
      // close(), which then rejects; stopping is still what was asked for.
      void Promise.allSettled([gateway.close().finally(() => store.close()), demo?.close()]).then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      });
    });
    // Keep-alive connections would otherwise hold close() open for their idle timeout: close the
    // idle ones now, and each busy one as soon as its response is done.
    server.keepAliveTimeout = 1;
    server.closeIdleConnections();
    setTimeout(() => cut('still running after the grace period (requests, or the store\'s last writes); closing what is left'), config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  // A store that cannot be opened names what is wrong (never a password): say it as it is.
  const prefix = error instanceof StoreError ? `keygate's store (DATABASE_URL) could not be opened [${error.code}]:` : 'keygate failed to start:';
  console.error(prefix, error instanceof Error ? error.message : error);
  process.exit(1);
});
