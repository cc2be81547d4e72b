// The job evaluates the student once per step: the results, the report and an export each ask for the
// evaluation of the same state, and get the first one again, not a second pass and a second entry.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFixtureClip } from '../clip/fixture-clip.testkit.ts';
import { demoImageName, demoPixels, demoSeededViews, loadDemoData } from '../demo/data.ts';
import { fsDemoReader } from '../demo/node.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { DistillJob } from './job.ts';
import { DEMO_SETTINGS } from './run-settings.ts';

describe('DistillJob.evaluate', () => {
  it('evaluates once per step: asked again at the same step it gives the same evaluation and keeps one entry', async () => {
    const data = await loadDemoData(fsDemoReader(path.resolve('public/demo')));
    const { train, test } = data.splits;
    const job = await DistillJob.open({
      runtime: createNodeRuntime(),
      student: (await loadFixtureClip(['vision'], 'models/demo-student')).clip,
      teacher: { kind: 'model', weights: (await loadFixtureClip(['vision', 'text'], 'models/demo-teacher')).clip, prompts: null },
      classes: data.index.classNames,
      settings: { ...DEMO_SETTINGS, epochs: 1 },
      start: { kind: 'fresh' },
      evalBatch: 100,
      unlabeled: {
        id: 'demo-train',
        ids: Array.from({ length: train.count }, (_, i) => demoImageName('train', i)),
        pixels: async (views, size) =>
          demoSeededViews(
            train,
            views.map((v) => ({ index: v.index, seed: v.augmentSeed })),
            size,
          ),
      },
      test: { id: 'demo-test', labels: Array.from(test.labels), pixels: async (indices, size) => demoPixels(test, indices, size) },
    });
    try {
      const before = await job.evaluate();
      expect(await job.evaluate()).toBe(before);
      expect(job.evaluations.map((e) => e.step)).toEqual([0]);
      await job.next();
      const after = await job.evaluate();
      expect(after).not.toBe(before);
      expect(after!.logits).not.toEqual(before!.logits);
      expect(await job.evaluate()).toBe(after);
      expect(job.evaluations.map((e) => e.step)).toEqual([0, 1]);
    } finally {
      await job.release();
    }
  }, 120_000);
});
