import { createServer } from 'node:http';
import { once } from 'node:events';
import { ConfigError, loadConfig, type Config } from './config.js';
import { startDemo, type Demo } from './demo.js';
import { createGateway } from './gateway.js';

/** How long in-flight requests may take to finish after SIGTERM before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

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

  let demo: Demo | undefined;
  if (config.demo) {
    demo = await startDemo(config);
    config = demo.config;
  }

  const gateway = createGateway(config);
  const server = createServer(gateway.yoga);
  server.listen(config.port, config.host);
  await once(server, 'listening');

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const banner = [`keygate listening on http://${host}:${port}`, `GraphiQL: http://${host}:${port}/graphql`];
  if (demo) {
    banner.push(
      'DEMO MODE: talking to the built-in simulators with seed data, not to real providers.',
      `  Octopus simulator:    ${demo.octopusUrl}`,
      `  Hyperstack simulator: ${demo.hyperstackUrl}`,
      '  Set OCTOPUS_URL / OCTOPUS_API_KEY / HYPERSTACK_API_KEY to use real providers.',
    );
  }
  say(banner.join('\n'));

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: no longer accepting connections; letting in-flight requests finish`);
    // close() stops accepting and resolves once every connection has ended; idle keep-alive
    // connections are closed now, busy ones after their response.
    server.close(() => {
      void Promise.all([gateway.close(), demo?.close()]).then(() => {
        say('stopped');
        process.exit(0);
      });
    });
    // Keep-alive connections would otherwise hold close() open for their idle timeout: close the
    // idle ones now, and each busy one as soon as its response is done.
    server.keepAliveTimeout = 1;
    server.closeIdleConnections();
    setTimeout(() => {
      console.warn(`requests still running after ${SHUTDOWN_GRACE_MS} ms; closing their connections`);
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  console.error('keygate failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
