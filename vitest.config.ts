import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    hookTimeout: 20000,
    pool: 'forks',
    // The files spend most of their time waiting on servers, sockets and timers: two workers
    // halve the suite on the 2-core machines CI runs on (vitest's default, cores - 1, runs one
    // there). More than two made the timing-sensitive route tests flaky.
    maxWorkers: 2,
  },
});
