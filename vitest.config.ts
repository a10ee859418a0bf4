import { defineConfig } from 'vitest/config';

// Tests mirror src/ (unit) and test/e2e (real Chromium against `steerlab serve`).
// forks: tfjs backends and ffmpeg children are process-global, so isolate per file.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
