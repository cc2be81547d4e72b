// The engine's layers, bottom first, each with what it may import from the engine besides itself.
// .dependency-cruiser.cjs makes one rule of each; docs/architecture.md's table must say the same
// (scripts/layers.test.ts).
const ENGINE_LAYERS = [
  ['random', []],
  ['graph', []],
  ['settings', []],
  ['autodiff', ['graph']],
  ['runtime', ['graph']],
  ['data', ['random', 'settings']],
  ['clip', ['random', 'graph', 'runtime']],
  ['torch', ['graph', 'runtime', 'clip']],
  ['demo', ['random', 'graph', 'autodiff', 'runtime', 'clip']],
  ['promptkd', ['random', 'graph', 'settings', 'autodiff', 'runtime', 'data', 'clip', 'torch']],
  ['checks', ['graph', 'runtime', 'clip', 'promptkd']],
  ['surface', ['settings', 'data', 'promptkd']],
];
module.exports = { ENGINE_LAYERS };
