// The layer rules, checked by `npm test` (scripts/layers.mjs runs dependency-cruiser with this file;
// scripts/layers.test.ts plants a violation of each rule and sees it caught).
//   graph → autodiff → runtime → clip → promptkd make the engine; only runtime touches onnxruntime;
//   the engine's core uses no DOM, no Node and nothing above it; storage sits under the worker;
//   the app reaches the engine only through engine/surface.ts; tests, bench and the harness stay out
//   of the shipped code; the GPU pack's bench (bench/pack-main.ts) reaches no Playwright.
const PLATFORM_FILE = '(^|/)(node|web)\\.ts$|-(node|web)\\.ts$';
const TEST_FILE = '\\.test\\.tsx?$|(^|/)(testing|test-support|test-models|studio-harness)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'onnxruntime-only-in-runtime',
      comment: 'onnxruntime is imported by src/engine/runtime/ only: every other layer runs graphs through its Runtime',
      severity: 'error',
      // the harness page also makes raw ORT tensors, to provoke the runtime's error paths on purpose
      from: { path: '^(src|bench)/', pathNot: ['^src/engine/runtime/', '^src/harness/'] },
      to: { path: 'node_modules/onnxruntime-(web|node|common)/' },
    },
    {
      name: 'engine-core-is-platform-free',
      comment:
        'the engine core runs in a Worker and in Node alike: Node built-ins only in platform files (node.ts, *-node.ts) and test support',
      severity: 'error',
      from: { path: '^src/engine/', pathNot: [PLATFORM_FILE, TEST_FILE] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-below-everything',
      comment: 'the engine knows nothing of the studio, its storage, the CLI, React or IndexedDB',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: ['^src/(app|worker|storage|cli|harness)/', 'node_modules/(react|react-dom|zustand|uplot)/'] },
    },
    {
      name: 'storage-below-worker',
      comment: 'storage keeps its own record types (storage/schema.ts); the worker and the app are above it',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: '^src/(worker|app|cli)/' },
    },
    {
      name: 'app-through-engine-surface',
      comment: 'the React shell uses the engine through engine/surface.ts (pure settings and rules) and the worker protocol only',
      severity: 'error',
      from: { path: '^src/app/', pathNot: TEST_FILE },
      to: { path: '^src/engine/', pathNot: '^src/engine/surface\\.ts$' },
    },
    {
      name: 'shipped-code-without-tests-bench-harness',
      comment: 'nothing the studio or the CLI ships imports tests, test support, the bench or the engine harness page',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST_FILE, '^src/harness/'] },
      to: { path: ['^bench/', '^src/harness/', TEST_FILE] },
    },
    {
      name: 'gpu-pack-without-playwright',
      comment:
        'the GPU pack runs its bench on a machine with Node and no browser: nothing pack-main.ts reaches, however indirectly, may load Playwright',
      severity: 'error',
      from: { path: '^bench/pack-main\\.ts$' },
      to: { path: 'node_modules/(@playwright|playwright|playwright-core)/', reachable: true },
    },
  ],
  options: {
    // node_modules is cruised but not followed (not excluded): rules about packages see the import and stop there
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.tmp)/' },
    // a throw-away tree with node_modules linked in (scripts/layers.test.ts) then names packages as the project does
    preserveSymlinks: true,
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
