import { describe, expect, it } from 'vitest';
import { PAPER_SETTINGS } from '../engine/surface.ts';
import type { TeacherLabelsInfo } from '../worker/protocol.ts';
import { describeLabels, labelsProblem } from './labels.ts';

const labels = (over: Partial<TeacherLabelsInfo> = {}): TeacherLabelsInfo => ({
  name: 'labels',
  teacherId: 'clip-l14',
  promptState: 'zero-shot-1-ab',
  bytes: 1e6,
  classes: ['bag', 'dress'],
  images: 3000,
  skipped: 0,
  testImages: 0,
  recipe: { seed: 1, epochs: 20, augment: true, views: 4, inputSize: 224 },
  coverage: { datasetId: 'd', datasetName: 'photos', problem: null },
  ...over,
});

describe('teacher labels on the page', () => {
  it('name the first reason a run cannot start from them: classes, then views, then the folder', () => {
    const run = { ...PAPER_SETTINGS, views: 4 };
    expect(labelsProblem(labels(), ['bag', 'dress'], run)).toBeNull();
    expect(labelsProblem(labels(), ['dress', 'bag'], run)).toContain('same classes in another order');
    expect(labelsProblem(labels(), ['bag', 'dress'], { ...run, views: 0 })).toContain('epochs 20 > 4 labelled');
    expect(labelsProblem(labels(), ['bag', 'dress'], { ...run, seed: 2 })).toBe('the labels are for seed 1, this run uses seed 2');
    expect(
      labelsProblem(
        labels({ coverage: { datasetId: 'd', datasetName: 'photos', problem: 'image x.jpg is not labelled' } }),
        ['bag', 'dress'],
        run,
      ),
    ).toBe('image x.jpg is not labelled');
  });

  it('say what they hold in one line', () => {
    expect(describeLabels(labels())).toBe(
      '3,000 images, 4 random crops each (seed 1), over 2 classes, no test images (no teacher reference line)',
    );
    expect(describeLabels(labels({ recipe: { seed: 1, epochs: 20, augment: false, views: 1, inputSize: 224 }, testImages: 500 }))).toBe(
      '3,000 images, the centre view of each, over 2 classes, and 500 test images',
    );
  });
});
