import { describe, expect, it } from 'vitest';
import { loadFixtureClip } from '../clip/fixture-clip.testkit.ts';
import { CLIP_MEAN, CLIP_STD } from '../clip/preprocess.ts';
import { rng } from '../random.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import {
  gpaWeights,
  PROMPTSRC_TUNE_CONFIG,
  sampleFewShot,
  tuneTeacherPrompts,
  tuningClasses,
  type LabeledImageSet,
} from './teacher-tune.ts';
import { Teacher } from './teacher.ts';

const { cfg, clip } = await loadFixtureClip();
const S = cfg.vision.imageSize;

describe('labeled set checks', () => {
  it('takes the first ⌈n/2⌉ classes as base', () => {
    expect(tuningClasses(['a', 'b', 'c', 'd', 'e'], [0, 1, 2, 3, 4], 'base')).toEqual(['a', 'b', 'c']);
    expect(tuningClasses(['a', 'b'], [0, 1], 'all')).toEqual(['a', 'b']);
  });

  it('refuses one class, and says why for a base split of two', () => {
    expect(() => tuningClasses(['cat'], [0, 0], 'all')).toThrow(
      "teacher tuning needs at least 2 classes to tell apart: the labeled set has only the class 'cat'",
    );
    expect(() => tuningClasses(['cat', 'dog'], [0, 1], 'base')).toThrow(
      "the labeled set has 2 classes ('cat', 'dog'), so 1 base class; base-to-new needs at least 3 classes (or tune on all classes)",
    );
  });

  it('names classes without images and labels out of range', () => {
    expect(() => tuningClasses(['cat', 'dog', 'fox'], [0, 0, 2], 'all')).toThrow("class 'dog' has no labeled images");
    expect(() => tuningClasses(['cat', 'dog'], [0, 2], 'all')).toThrow('image 1 has label 2, outside 0..1');
    expect(() => tuningClasses([], [], 'all')).toThrow('the labeled set has no classes');
  });
});

describe('few-shot sampling and GPA', () => {
  it('samples up to `shots` distinct images per class, reproducibly', () => {
    const labels = [0, 0, 0, 0, 0, 1, 1, 2, 2, 2];
    const picked = sampleFewShot(labels, 3, 3, rng(4));
    expect(picked.filter((i) => labels[i] === 0)).toHaveLength(3);
    expect(picked.filter((i) => labels[i] === 1)).toEqual([5, 6]);
    expect(new Set(picked).size).toBe(picked.length);
    expect(sampleFewShot(labels, 3, 3, rng(4))).toEqual(picked);
  });

  it('weights epochs by a Gaussian at 15 of 20 (std 1), scaled for shorter runs', () => {
    const w = gpaWeights(20, { mean: 15, std: 1 });
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w.indexOf(Math.max(...w))).toBe(14); // epoch 15 of 1…20
    expect(w[13]).toBeCloseTo(w[15]!, 12);
    expect(w[13]! / w[14]!).toBeCloseTo(Math.exp(-0.5), 12);
    const short = gpaWeights(4, { mean: 15, std: 1 }); // mean 3, std 0.2
    expect(short.indexOf(Math.max(...short))).toBe(2);
  });
});

/** solid colours per class, plus noise; CLIP-normalised [3,S,S] */
function colourSet(colours: [number, number, number][], perClass: number, seed: number): { labels: number[]; pixels: Float32Array } {
  const r = rng(seed),
    per = 3 * S * S;
  const labels: number[] = [];
  const pixels = new Float32Array(colours.length * perClass * per);
  colours.forEach((rgb, c) => {
    for (let k = 0; k < perClass; k++) {
      const at = labels.length * per;
      for (let ch = 0; ch < 3; ch++) {
        for (let i = 0; i < S * S; i++) {
          const v = Math.min(1, Math.max(0, rgb[ch]! + 0.1 * r.normal()));
          pixels[at + ch * S * S + i] = (v - CLIP_MEAN[ch]!) / CLIP_STD[ch]!;
        }
      }
      labels.push(c);
    }
  });
  return { labels, pixels };
}

/** the class names and their colours (RGB in 0..1) */
const CLASS_COLOURS: Record<string, [number, number, number]> = {
  red: [0.9, 0.1, 0.1],
  green: [0.1, 0.8, 0.1],
  blue: [0.1, 0.2, 0.9],
  yellow: [0.9, 0.9, 0.1],
  purple: [0.6, 0.1, 0.7],
  cyan: [0.1, 0.8, 0.8],
};
const CLASSES = Object.keys(CLASS_COLOURS);
const COLOURS = Object.values(CLASS_COLOURS);

function setOf(labels: number[], pixels: Float32Array): LabeledImageSet {
  const per = 3 * S * S;
  return {
    classes: CLASSES,
    labels,
    pixels: async (indices) => {
      const out = new Float32Array(indices.length * per);
      indices.forEach((i, r) => {
        out.set(pixels.subarray(i * per, (i + 1) * per), r * per);
      });
      return hostTensor('float32', [indices.length, 3, S, S], out);
    },
  };
}

async function accuracy(teacher: Teacher, classes: string[], labels: number[], pixels: HostTensor): Promise<number> {
  const logits = (await teacher.logits(pixels, classes)).data as Float32Array;
  const C = classes.length;
  return (
    labels.filter((y, i) => {
      const row = logits.subarray(i * C, (i + 1) * C);
      return row.indexOf(Math.max(...row)) === y;
    }).length / labels.length
  );
}

describe('stage-1 teacher tuning', () => {
  it('raises base accuracy on a toy colour set above zero-shot', async () => {
    const rt = createNodeRuntime();
    const train = colourSet(COLOURS, 8, 1);
    const test = colourSet(COLOURS.slice(0, 3), 6, 2); // base classes only
    const testPixels = hostTensor('float32', [test.labels.length, 3, S, S], test.pixels);
    const result = await tuneTeacherPrompts(rt, clip, setOf(train.labels, train.pixels), {
      ...PROMPTSRC_TUNE_CONFIG,
      epochs: 12,
      shots: 8,
      augment: false,
      seed: 3,
    });
    expect(result.trainedClasses).toEqual(['red', 'green', 'blue']);
    expect(result.fewShot).toHaveLength(24);
    expect(result.history).toHaveLength(12);
    const zeroShot = await Teacher.create(rt, clip, { prompts: null });
    const tuned = await Teacher.create(rt, clip, { prompts: result.prompts });
    const before = await accuracy(zeroShot, result.trainedClasses, test.labels, testPixels);
    const after = await accuracy(tuned, result.trainedClasses, test.labels, testPixels);
    console.log(
      `toy colours: zero-shot base accuracy ${before.toFixed(3)}, tuned ${after.toFixed(3)}; ` +
        `loss ${result.history[0]!.loss.toFixed(3)} → ${result.history.at(-1)!.loss.toFixed(3)}`,
    );
    expect(after).toBeGreaterThan(before);
    expect(result.history.at(-1)!.ce).toBeLessThan(result.history[0]!.ce);
    await zeroShot.release();
    await tuned.release();
  }, 120_000);
});
