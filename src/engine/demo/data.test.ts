import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoImage, demoPixels, demoSeededViews, demoViews, fetchDemoReader, loadDemoData, DemoDataError } from './data.ts';
import { rng } from '../random.ts';
import { FASHION_MNIST_CLASSES } from './fashion-mnist-node.ts';
import { fsDemoReader } from './node.ts';

const DIR = join(import.meta.dirname, '../../../public/demo');

describe('demo data', () => {
  it('loads the shipped Fashion-MNIST subset with the documented splits and classes', async () => {
    const { index, splits } = await loadDemoData(fsDemoReader(DIR));
    // the demo keeps Fashion-MNIST's own classes, in its label order
    expect(index.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(index.baseClasses).toEqual([0, 1, 2, 3, 4]);
    expect(index.newClasses).toEqual([5, 6, 7, 8, 9]);
    expect(splits.train.count).toBe(3000);
    expect(splits.train.images.length).toBe(3000 * 28 * 28);
    expect(index.splits.train.labelsForTraining).toBe(false);
    const count = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    expect(count(splits.test.labels)).toEqual(Array(10).fill(100));
    expect(count(splits.shots.labels)).toEqual([16, 16, 16, 16, 16, 0, 0, 0, 0, 0]);
    // real images, not blanks: Fashion-MNIST items cover a good part of the frame
    const img = demoImage(splits.test, 0);
    expect(img.width).toBe(28);
    const lit = img.data.filter((v) => v > 0).length / 3;
    expect(lit).toBeGreaterThan(100);
    expect(img.data[0]).toBe(img.data[1]);
  });

  it('names the bad file when a split is truncated', async () => {
    const real = fsDemoReader(DIR);
    const read = async (f: string) => (f === 'test-images.u8' ? (await real(f)).subarray(0, 100) : real(f));
    await expect(loadDemoData(read)).rejects.toThrow(/test-images\.u8: 100 bytes/);
  });

  it('reads over fetch and reports HTTP failures', async () => {
    const fake = (async (url: string) => new Response(null, { status: 404, statusText: url })) as unknown as typeof fetch;
    await expect(loadDemoData(fetchDemoReader('/demo', fake))).rejects.toBeInstanceOf(DemoDataError);
  });

  it('renders a seeded view the same for teacher and student, and the centre view without a seed', async () => {
    const { splits } = await loadDemoData(fsDemoReader(DIR));
    const views = [
      { index: 3, seed: 41 },
      { index: 7, seed: null },
      { index: 3, seed: 42 },
    ];
    const a = demoSeededViews(splits.train, views, 32);
    expect(a.shape).toEqual([3, 3, 32, 32]);
    expect(demoSeededViews(splits.train, views, 32).data).toEqual(a.data);
    const per = 3 * 32 * 32,
      row = (t: typeof a, i: number) => Array.from((t.data as Float32Array).subarray(i * per, (i + 1) * per));
    expect(row(a, 0)).toEqual(row(demoViews(splits.train, [3], 32, rng(41)), 0));
    expect(row(a, 1)).toEqual(row(demoPixels(splits.train, [7], 32), 0));
    expect(row(a, 2)).not.toEqual(row(a, 0));
  });
});
