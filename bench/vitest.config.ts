// The benchmark's own unit tests (the cost model), outside the app's test include:
//   npx vitest run -c bench/vitest.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { root: import.meta.dirname, include: ['**/*.test.ts'], environment: 'node', pool: 'forks' },
});
