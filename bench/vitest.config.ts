// The benchmark's own unit tests (the cost model), outside the app's test include:
//   npx vitest run -c bench/vitest.config.ts
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { root: path.resolve(import.meta.dirname, '..'), include: ['bench/**/*.test.ts'], environment: 'node', pool: 'forks' },
});
