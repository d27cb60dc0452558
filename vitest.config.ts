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
    // Suites start real loopback servers; separate processes keep their sockets apart.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
