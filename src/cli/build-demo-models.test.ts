// The shipped demo models: they load through the same loader as real CLIP and reproduce the
// zero-shot accuracy that `npm run models:build` recorded in models/build-report.json.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDemoData } from '../engine/demo/data.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import { captionedSubset, evaluateOnDemo } from './build-demo-models.ts';
import type { DemoRow } from './demo-test-set.ts';

const ROOT = path.join(import.meta.dirname, '../..');
const report = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/build-report.json'), 'utf8')) as Record<
  'teacher' | 'student',
  { dir: string; zeroShotTest: DemoRow }
>;
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
        expect(fs.readFileSync(path.join(ROOT, 'public/models', report[role].dir, f)).equals(fs.readFileSync(path.join(dir, f)))).toBe(
          true,
        );
      }
    }, 30_000);
  }
});

describe('captioned images of the name tuning', () => {
  const labels = Uint8Array.from({ length: 200 }, (_, i) => (i * 7) % 10);
  // each image's one red value is its index (< 256)
  const images = { count: labels.length, labels, image: (i: number) => ({ width: 1, height: 1, data: Uint8Array.of(i, 0, 0) }) };

  it('are perClass images of every class, the same for one seed and others for another', () => {
    const subset = captionedSubset(images, 2, 5);
    expect(subset.count).toBe(20);
    for (let c = 0; c < 10; c++) expect(subset.labels.filter((l) => l === c).length).toBe(2);
    // each picked image keeps its own label
    for (let i = 0; i < subset.count; i++) expect(labels[subset.image(i).data[0]!]).toBe(subset.labels[i]);
    const picked = (s: typeof subset) => Array.from({ length: s.count }, (_, i) => s.image(i).data[0]);
    expect(picked(captionedSubset(images, 2, 5))).toEqual(picked(subset));
    expect(picked(captionedSubset(images, 2, 6))).not.toEqual(picked(subset));
  });
});
