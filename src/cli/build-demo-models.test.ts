// The shipped demo models: they load through the same loader as real CLIP and reproduce the
// zero-shot accuracy that `npm run models:build` recorded in models/build-report.json.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDemoData } from '../engine/demo/data.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import { evaluateOnDemo, type ZeroShotRecord } from './build-demo-models.ts';

const ROOT = path.join(import.meta.dirname, '../..');
const report = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/build-report.json'), 'utf8')) as
  Record<'teacher' | 'student', { dir: string; zeroShotTest: ZeroShotRecord }>;
// one test image is 0.2 points of a 500-image half; allow two flips from float differences
// between onnxruntime builds, nothing more
const TOLERANCE = 0.4;

describe('shipped demo models', () => {
  for (const role of ['teacher', 'student'] as const) {
    it(`${role} loads as a Hugging Face CLIP and gives its recorded zero-shot accuracy`, async () => {
      const data = await loadDemoData(fsDemoReader(path.join(ROOT, 'public/demo')));
      const dir = path.join(ROOT, 'models', report[role].dir);
      const got = await evaluateOnDemo(createNodeRuntime(), dir, role, data);
      const want = report[role].zeroShotTest;
      expect(Math.abs(got.base - want.base)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(got.new - want.new)).toBeLessThanOrEqual(TOLERANCE);
      // the studio serves the same bytes
      for (const f of ['config.json', 'model.safetensors']) {
        expect(fs.readFileSync(path.join(ROOT, 'public/models', report[role].dir, f)).equals(fs.readFileSync(path.join(dir, f)))).toBe(true);
      }
    }, 30_000);
  }
});
