// The layer rules (.dependency-cruiser.cjs) hold on this tree, and each one fires on a violation
// planted in a throw-away tree that imports what the rule forbids.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

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

describe('layer rules', () => {
  it('hold on the project', () => {
    expect(violations(ROOT).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('each catch a planted violation', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
    try {
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      const files: Record<string, string> = {
        'src/engine/surface.ts': 'export const x = 1;\n',
        'src/engine/graph/graph.ts': 'export const g = 1;\n',
        'src/engine/runtime/runtime.ts': "import 'onnxruntime-web';\n", // allowed: the runtime
        'src/engine/runtime/node.ts': "import fs from 'node:fs';\nexport const f = fs;\n", // allowed: a platform file
        'src/engine/promptkd/leak.ts':
          "import fs from 'node:fs';\nimport { create } from 'zustand';\nimport '../../app/thing.ts';\nexport const y = [fs, create];\n",
        'src/app/thing.ts': "import '../engine/graph/graph.ts';\nimport '../engine/surface.ts';\n",
        'src/storage/store.ts': "import '../worker/protocol.ts';\n",
        'src/worker/protocol.ts': 'export const p = 1;\n',
        'src/cli/tool.ts': "import 'onnxruntime-node';\nimport '../../bench/run.ts';\nimport '../worker/helper.test.ts';\n",
        'src/worker/helper.test.ts': 'export const t = 1;\n',
        'bench/run.ts': 'export const b = 1;\n',
        // the GPU pack's bench reaches Playwright two files away (a type import counts: the bench is bundled from these sources)
        'bench/pack-main.ts': "import './pack-report.ts';\n",
        'bench/pack-report.ts': "import type { Browser } from '@playwright/test';\nexport type B = Browser;\n",
      };
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
      }
      const found = violations(dir)
        .map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/([^/]+)\/.*$/, '$1')}`)
        .sort();
      expect(found).toEqual([
        'app-through-engine-surface: src/app/thing.ts → src/engine/graph/graph.ts',
        'engine-below-everything: src/engine/promptkd/leak.ts → src/app/thing.ts',
        'engine-below-everything: src/engine/promptkd/leak.ts → zustand',
        'engine-core-is-platform-free: src/engine/promptkd/leak.ts → fs',
        'gpu-pack-without-playwright: bench/pack-main.ts → @playwright',
        'onnxruntime-only-in-runtime: src/cli/tool.ts → onnxruntime-node',
        'shipped-code-without-tests-bench-harness: src/cli/tool.ts → bench/run.ts',
        'shipped-code-without-tests-bench-harness: src/cli/tool.ts → src/worker/helper.test.ts',
        'storage-below-worker: src/storage/store.ts → src/worker/protocol.ts',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
