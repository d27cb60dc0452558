import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites start real loopback servers; keep them in separate workers but bounded on 2-core machines.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
