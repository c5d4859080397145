import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', new SummaryReporter()],
    // `npm run test:fast` (the inner loop) runs everything but test/browser/ and the tests tagged slow.
    tags: [
      {
        name: 'slow',
        description:
          'seconds each: a learning run to a goal, or the built package end to end (dist/: the CLI, its worker threads); npm test runs them, npm run test:fast skips them',
      },
    ],
  },
});
