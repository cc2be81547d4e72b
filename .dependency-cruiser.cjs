// The layer rules, checked by `npm test` (scripts/test.mjs runs dependency-cruiser with this file;
// scripts/layers.test.ts plants a violation of each rule and sees it caught, and checks that the
// layer table in docs/architecture.md says what scripts/engine-layers.cjs says).
//   The engine is a straight stack (ENGINE_LAYERS, bottom first): each layer imports only the layers
//   it names. Only runtime touches onnxruntime; the engine's core uses no DOM, no Node and nothing
//   above it; storage sits under the worker; the app reaches the engine only through
//   engine/surface.ts and the worker through its protocol; tests, test kits, the bench and the
//   harness stay out of the shipped code; the GPU pack's bench (bench/pack-main.ts) reaches no
//   Playwright; no module imports itself round a cycle.
const PLATFORM_FILE = '(^|/)(node|web)\\.ts$|-(node|web)\\.ts$';
// tests and their support (*.testkit.ts) may reach across layers: they assemble what they check
const TEST_FILE = '\\.test\\.tsx?$|\\.testkit\\.ts$';

const { ENGINE_LAYERS } = require('./scripts/engine-layers.cjs');

/** a layer's files: a folder under src/engine/, or the one file random.ts / surface.ts */
const layerPath = (name) => (name === 'random' || name === 'surface' ? `^src/engine/${name}\\.ts$` : `^src/engine/${name}/`);

const engineLayerRules = ENGINE_LAYERS.map(([name, below]) => ({
  name: `engine-layer-${name}`,
  comment: `engine/${name} imports only ${below.length ? below.join(', ') : 'itself'} from the engine`,
  severity: 'error',
  from: { path: layerPath(name), pathNot: TEST_FILE },
  to: { path: '^src/engine/', pathNot: [name, ...below].map(layerPath) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a module never imports itself round a cycle: every layer, and every folder in it, reads bottom up',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...engineLayerRules,
    {
      name: 'onnxruntime-only-in-runtime',
      comment: 'onnxruntime is imported by src/engine/runtime/ only: every other layer runs graphs through its Runtime',
      severity: 'error',
      // the harness page also makes raw ORT tensors, to provoke the runtime's error paths on purpose
      from: { path: '^(src|bench)/', pathNot: ['^src/engine/runtime/', '^bench/harness/'] },
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
      to: { path: ['^src/(app|worker|storage|cli)/', 'node_modules/(react|react-dom|zustand|uplot)/'] },
    },
    {
      name: 'storage-below-worker',
      comment: 'storage keeps its own record types (storage/schema.ts); the worker and the app are above it',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: '^src/(worker|app|cli)/' },
    },
    {
      name: 'worker-below-app',
      comment: 'the worker runs the studio without a page: it knows nothing of React, the store or the CLI',
      severity: 'error',
      from: { path: '^src/worker/', pathNot: TEST_FILE },
      to: { path: ['^src/(app|cli)/', 'node_modules/(react|react-dom|zustand|uplot)/'] },
    },
    {
      name: 'cli-beside-studio',
      comment: 'the CLI runs the engine in Node: it shares nothing with the studio but the engine',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: TEST_FILE },
      to: { path: '^src/(app|worker|storage)/' },
    },
    {
      name: 'page-stands-alone',
      comment:
        "the classifier page (src/page/) ships inside the exported model folder: it reads images with the engine's clip layer and nothing of the studio",
      severity: 'error',
      from: { path: '^src/page/', pathNot: TEST_FILE },
      to: { path: ['^src/(app|worker|storage|cli)/', '^src/engine/(?!clip/)'] },
    },
    {
      name: 'app-through-engine-surface',
      comment: 'the React shell uses the engine through engine/surface.ts (pure settings and rules) and the worker protocol only',
      severity: 'error',
      from: { path: '^src/app/', pathNot: TEST_FILE },
      to: { path: '^src/engine/', pathNot: '^src/engine/surface\\.ts$' },
    },
    {
      name: 'app-through-worker-protocol',
      comment: 'the React shell talks to the worker by messages (worker/protocol.ts, worker/client.ts) and keeps no storage of its own',
      severity: 'error',
      from: { path: '^src/app/', pathNot: TEST_FILE },
      to: { path: ['^src/worker/', '^src/storage/', '^src/cli/'], pathNot: '^src/worker/(protocol|client)\\.ts$' },
    },
    {
      name: 'shipped-code-without-tests-bench-harness',
      comment: 'nothing the studio or the CLI ships imports tests, test kits or the bench (the harness page is bench/harness/)',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_FILE },
      to: { path: ['^bench/', TEST_FILE] },
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
    // type-only imports count: a layer that names another's types depends on it
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
