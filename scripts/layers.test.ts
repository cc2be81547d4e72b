// The layer rules (.dependency-cruiser.cjs) hold on this tree; each one fires on a violation planted
// in a throw-away tree that imports what the rule forbids; and the layer table in
// docs/architecture.md says what scripts/engine-layers.cjs says.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const { ENGINE_LAYERS } = createRequire(import.meta.url)('./engine-layers.cjs') as { ENGINE_LAYERS: [string, string[]][] };

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}
const violations = (cwd: string): Violation[] => {
  const r = spawnSync(DEPCRUISE, ['src', 'bench', '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 2 ** 28,
  });
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
};

/** an engine layer's one file in a planted tree */
const layerFile = (name: string) => (name === 'random' || name === 'surface' ? `src/engine/${name}.ts` : `src/engine/${name}/${name}.ts`);
const importOf = (from: string, to: string) => `import '${path.posix.relative(path.posix.dirname(from), to).replace(/^(?!\.)/, './')}';\n`;

describe('layer rules', () => {
  it('hold on the project', () => {
    expect(violations(ROOT).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('each catch a planted violation', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
    try {
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      const files: Record<string, string> = {
        'src/engine/runtime/runtime.ts': "import 'onnxruntime-web';\n", // allowed: the runtime
        'src/engine/runtime/node.ts': "import fs from 'node:fs';\nexport const f = fs;\n", // allowed: a platform file
        'src/engine/promptkd/leak.ts':
          "import fs from 'node:fs';\nimport { create } from 'zustand';\nimport '../../app/thing.ts';\nexport const y = [fs, create];\n",
        'src/app/thing.ts': "import '../engine/graph/graph.ts';\nimport '../engine/surface.ts';\nimport '../storage/store.ts';\n",
        'src/app/talk.ts': "import '../worker/protocol.ts';\nimport '../worker/client.ts';\n", // allowed: messages
        'src/storage/store.ts': "import '../worker/protocol.ts';\n",
        'src/worker/protocol.ts': 'export const p = 1;\n',
        'src/worker/client.ts': 'export const c = 1;\n',
        'src/worker/engine.ts': "import 'react';\nimport '../cli/tool.ts';\n",
        'src/cli/tool.ts': "import 'onnxruntime-node';\nimport '../../bench/run.ts';\nimport '../worker/helper.testkit.ts';\n",
        'src/page/page.ts': "import '../engine/clip/clip.ts';\nimport '../engine/promptkd/leak.ts';\nimport '../worker/protocol.ts';\n",
        'src/cli/loop-a.ts': "import './loop-b.ts';\n",
        'src/cli/loop-b.ts': "import './loop-a.ts';\n",
        'src/worker/helper.testkit.ts': "import '../app/thing.ts';\n", // allowed: test support reaches across
        'bench/run.ts': 'export const b = 1;\n',
        // the GPU pack's bench reaches Playwright two files away (a type import counts: the bench is bundled from these sources)
        'bench/pack-main.ts': "import './pack-report.ts';\n",
        'bench/pack-report.ts': "import type { Browser } from '@playwright/test';\nexport type B = Browser;\n",
      };
      // every engine layer imports the layer above it (the top one, the one below the top), which
      // only the top may; each also imports what it is allowed to, which must pass
      const expected: string[] = [];
      ENGINE_LAYERS.forEach(([name, allowed], i) => {
        const from = layerFile(name);
        const [above] = ENGINE_LAYERS[i + 1] ?? ENGINE_LAYERS[i - 1]!;
        files[from] = (files[from] ?? '') + [above, ...allowed].map((to) => importOf(from, layerFile(to))).join('');
        expected.push(`engine-layer-${name}: ${from} → ${layerFile(above)}`);
      });
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const found = violations(dir)
        .map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/([^/]+)\/.*$/, '$1')}`)
        .filter((v) => !(v.startsWith('no-circular') && v.includes('src/engine/'))) // the planted engine stack imports both ways on purpose
        .sort();
      expect(found).toEqual(
        [
          ...expected,
          'app-through-engine-surface: src/app/thing.ts → src/engine/graph/graph.ts',
          'app-through-worker-protocol: src/app/thing.ts → src/storage/store.ts',
          'cli-beside-studio: src/cli/tool.ts → src/worker/helper.testkit.ts',
          'engine-below-everything: src/engine/promptkd/leak.ts → src/app/thing.ts',
          'engine-below-everything: src/engine/promptkd/leak.ts → zustand',
          'engine-core-is-platform-free: src/engine/promptkd/leak.ts → fs',
          'gpu-pack-without-playwright: bench/pack-main.ts → @playwright',
          'no-circular: src/cli/loop-a.ts → src/cli/loop-b.ts',
          'onnxruntime-only-in-runtime: src/cli/tool.ts → onnxruntime-node',
          'page-stands-alone: src/page/page.ts → src/engine/promptkd/leak.ts',
          'page-stands-alone: src/page/page.ts → src/worker/protocol.ts',
          'shipped-code-without-tests-bench-harness: src/cli/tool.ts → bench/run.ts',
          'shipped-code-without-tests-bench-harness: src/cli/tool.ts → src/worker/helper.testkit.ts',
          'storage-below-worker: src/storage/store.ts → src/worker/protocol.ts',
          'worker-below-app: src/worker/engine.ts → react',
          'worker-below-app: src/worker/engine.ts → src/cli/tool.ts',
        ].sort(),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('are the layer table of docs/architecture.md', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    const table = doc.slice(doc.indexOf('<!-- engine-layers -->'), doc.indexOf('<!-- /engine-layers -->'));
    const rows = [...table.matchAll(/^\| `([a-z]+)` \| [^|]+ \| ([^|]*) \|/gm)].map(([, name, below]) => [
      name,
      below!.trim() === '—' ? [] : below!.split(',').map((s) => s.trim().replace(/`/g, '')),
    ]);
    expect(rows).toEqual(ENGINE_LAYERS);
  });

  it('see every import: no type-only re-export, which the cruiser does not read', () => {
    const hidden: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && /^export type (\{[^}]*\}|\*) from /m.test(fs.readFileSync(p, 'utf8')))
          hidden.push(path.relative(ROOT, p));
      }
    };
    walk(path.join(ROOT, 'src'));
    walk(path.join(ROOT, 'bench'));
    expect(hidden, 'write `import type { X } from …; export type { X };` instead').toEqual([]);
  });
});
