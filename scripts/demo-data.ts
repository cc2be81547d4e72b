// Writes the embedded demo's Fashion-MNIST subset into public/demo/ and mirrors models/ into
// public/models/, so the studio serves both offline. Seeded: the same files every run.
//
//   apt-get install dataset-fashion-mnist && npx tsx scripts/demo-data.ts
//
// Splits (see src/engine/demo/data.ts for the format):
//   train: 3000 images from Fashion-MNIST's train split, all classes, for unlabeled distillation
//          (their labels go to a separate file for analysis only)
//   test:  1000 images from the t10k split, 100 per class
//   shots: 16 images per base class from the train split, disjoint from `train`, for teacher stage 1
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoIndex } from '../src/engine/demo/data.ts';
import { FASHION_MNIST_CLASSES as CLASS_NAMES, readFashionMnist } from '../src/engine/demo/fashion-mnist-node.ts';
import { mirrorModelsToPublic } from '../src/engine/demo/node.ts';
import { rng } from '../src/engine/random.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'public', 'demo');
const SEED = 20240302;
const TRAIN_COUNT = 3000;
const TEST_PER_CLASS = 100;
const SHOTS_PER_CLASS = 16;

function gather(images: Uint8Array, labels: Uint8Array, picks: readonly number[]): { images: Uint8Array; labels: Uint8Array } {
  const px = 28 * 28;
  const out = new Uint8Array(picks.length * px);
  picks.forEach((p, i) => {
    out.set(images.subarray(p * px, (p + 1) * px), i * px);
  });
  return { images: out, labels: Uint8Array.from(picks, (p) => labels[p]!) };
}

/** `perClass` indices of each class in `classes`, seeded, in class order. */
function balanced(labels: Uint8Array, classes: readonly number[], perClass: number, pool: readonly number[], seed: number): number[] {
  const r = rng(seed);
  return classes.flatMap((c) => r.shuffle(pool.filter((i) => labels[i] === c)).slice(0, perClass));
}

function main(): void {
  const { images: trainImages, labels: trainLabels } = readFashionMnist('train');
  const { images: testImages, labels: testLabels } = readFashionMnist('t10k');
  const classes = CLASS_NAMES.map((_, c) => c);
  const half = Math.ceil(classes.length / 2);
  const baseClasses = classes.slice(0, half),
    newClasses = classes.slice(half);

  const trainOrder = rng(SEED).shuffle(Array.from({ length: trainImages.dims[0]! }, (_, i) => i));
  const trainPicks = trainOrder.slice(0, TRAIN_COUNT);
  const shotPicks = balanced(trainLabels.data, baseClasses, SHOTS_PER_CLASS, trainOrder.slice(TRAIN_COUNT), SEED + 1);
  const testPicks = balanced(
    testLabels.data,
    classes,
    TEST_PER_CLASS,
    Array.from({ length: testImages.dims[0]! }, (_, i) => i),
    SEED + 2,
  );

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const splits = {
    train: { picks: trainPicks, src: [trainImages.data, trainLabels.data], labelsForTraining: false },
    test: { picks: testPicks, src: [testImages.data, testLabels.data], labelsForTraining: false },
    shots: { picks: shotPicks, src: [trainImages.data, trainLabels.data], labelsForTraining: true },
  } as const;
  const entries: Record<string, DemoIndex['splits']['train']> = {};
  for (const [name, s] of Object.entries(splits)) {
    const { images, labels } = gather(s.src[0], s.src[1], s.picks);
    writeFileSync(join(OUT, `${name}-images.u8`), images);
    writeFileSync(join(OUT, `${name}-labels.u8`), labels);
    entries[name] = {
      count: s.picks.length,
      images: `${name}-images.u8`,
      labels: `${name}-labels.u8`,
      labelsForTraining: s.labelsForTraining,
    };
  }
  const index: DemoIndex = {
    format: 'promptkd-demo/1',
    source: 'Fashion-MNIST (Zalando Research, https://github.com/zalandoresearch/fashion-mnist), Debian package dataset-fashion-mnist',
    license: 'MIT (see LICENSE)',
    imageSize: 28,
    classNames: CLASS_NAMES,
    baseClasses,
    newClasses,
    seed: SEED,
    splits: entries as DemoIndex['splits'],
  };
  writeFileSync(join(OUT, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  writeFileSync(join(OUT, 'LICENSE'), LICENSE);
  writeFileSync(join(OUT, 'README.md'), README);

  // the studio fetches the demo models from /models/: mirror the committed ones there
  mirrorModelsToPublic(ROOT);
  console.log(
    `wrote ${OUT}: train ${trainPicks.length}, test ${testPicks.length}, shots ${shotPicks.length}; mirrored models/ to public/models/`,
  );
}

const LICENSE = `Fashion-MNIST subset
Source: https://github.com/zalandoresearch/fashion-mnist (Debian package dataset-fashion-mnist)

The MIT License (MIT) Copyright © 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

const README = `# Demo data: a Fashion-MNIST subset

Written by \`scripts/demo-data.ts\` (seeded) from Debian's \`dataset-fashion-mnist\`; MIT licensed (LICENSE).
Format and loader: \`src/engine/demo/data.ts\`. \`index.json\` names the files and classes.

| split | images | from | labels |
|---|---|---|---|
| train | ${TRAIN_COUNT} | Fashion-MNIST train, all 10 classes | \`train-labels.u8\`: analysis only, never used by distillation |
| test | ${TEST_PER_CLASS * 10} | Fashion-MNIST t10k, ${TEST_PER_CLASS} per class | evaluation |
| shots | ${SHOTS_PER_CLASS * 5} | Fashion-MNIST train, ${SHOTS_PER_CLASS} per base class, not in \`train\` | teacher stage 1 |

Images: \`count·28·28\` uint8 bytes, row-major, one file per split. Labels: one uint8 per image.
Base classes: labels 0–4 (T-shirt/top, Trouser, Pullover, Dress, Coat); new: 5–9 (Sandal, Shirt, Sneaker, Bag, Ankle boot).
`;

main();
