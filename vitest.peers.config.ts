import { defineConfig } from 'vitest/config';

// Suites that need a peer from outside this repository (the earlier Python
// client from ../shared); `npm run test:peers`, run by .ci/run when it is there.
export default defineConfig({
  test: {
    include: ['test/peers/**/*.peer.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    maxWorkers: 1,
    minWorkers: 1,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-peers.json' },
  },
});
