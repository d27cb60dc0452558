import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds without an exports map. Node loads the CJS
    // one for everything; Vite would give our sources the ESM one, so `instanceof GraphQLError` would
    // fail across the two copies. Pin the one Node uses, so tests run the code as production does.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The process tests run dist/main.js: build it first (incremental, so quick when nothing changed).
    globalSetup: ['test/support/build.ts'],
    // Suites start real loopback servers; separate processes keep their sockets apart.
    pool: 'forks',
    // Only a bound for a test that hangs: nothing waits for these, so they can be generous for a
    // busy 2-core machine (what a test waits for is an event: a held request, a log line, an exit).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state (a page drawn, a connection gone): its 1 s default raced the
    // machine's load. Only a bound for a state that never comes.
    expect: { poll: { timeout: 30_000 } },
  },
});
