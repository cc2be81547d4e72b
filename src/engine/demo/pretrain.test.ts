import { describe, expect, it } from 'vitest';
import { rgbImage } from '../clip/image.ts';
import { rng } from '../random.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { pretrainClip, type PretrainOptions } from './pretrain.ts';
import { initTinyClip, tinyClipConfig } from './tiny-clip.ts';

const SIZE = {
  imageSize: 16,
  patchSize: 8,
  visionWidth: 24,
  visionLayers: 1,
  visionHeads: 3,
  textWidth: 16,
  textLayers: 1,
  textHeads: 2,
  embedDim: 12,
};

describe('contrastive pre-training', () => {
  const r = rng(5);
  const images = Array.from({ length: 6 }, () =>
    rgbImage(
      16,
      16,
      Uint8Array.from({ length: 16 * 16 * 3 }, () => r.int(256)),
    ),
  );
  const data = { count: 6, image: (i: number) => images[i]!, labels: Uint8Array.of(0, 1, 2, 0, 1, 2) };
  // three classes, two captions each (token ids of the real vocabulary; start … end)
  const captions = [
    [
      [49406, 320, 7356, 49407],
      [49406, 7356, 49407],
    ],
    [
      [49406, 320, 2595, 49407],
      [49406, 2595, 49407],
    ],
    [
      [49406, 320, 3365, 49407],
      [49406, 3365, 49407],
    ],
  ];
  const options: PretrainOptions = { steps: 2, groups: 2, lr: 1e-2, warmupSteps: 1, weightDecay: 0, learnLogitScale: true, captions };
  const changed = (a: Float32Array, b: Float32Array) => a.some((x, i) => x !== b[i]);

  it('trains both towers, or with the vision tower locked only the text side', async () => {
    const init = initTinyClip(tinyClipConfig(SIZE), rng(1));
    const rt = createNodeRuntime();
    for (const lockVision of [false, true]) {
      const out = await pretrainClip(rt, init, data, rng(2), { ...options, lockVision });
      expect(out.losses.every(Number.isFinite)).toBe(true);
      const moved = (name: string) =>
        changed(out.weights.tensors.get(name)!.data as Float32Array, init.tensors.get(name)!.data as Float32Array);
      const vision = [...init.tensors.keys()].filter((n) => n.startsWith('vision.'));
      const text = [...init.tensors.keys()].filter((n) => n.startsWith('text.'));
      expect(vision.some(moved)).toBe(!lockVision);
      expect(text.some(moved)).toBe(true);
    }
  });
});
