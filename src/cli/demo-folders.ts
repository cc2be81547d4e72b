// `promptkd demo-folders --out DIR`: the embedded demo's Fashion-MNIST subset (public/demo/) as a
// PromptKD user's data looks: an image folder of PNGs and a CoOp split file over it, so that every
// command (label, distill, teacher) can be tried on it as on a real dataset.
//
//   DIR/images/train/00000.png …   the 3000 unlabeled train images (their labels are in the split
//                                  file, as CoOp's format has them, and distillation never reads them)
//   DIR/images/test/0000.png …     the 1000 test images
//   DIR/split_zhou_FashionMNIST.json
//
// The class order is the demo's (so base/new are too); "T-shirt/top" could not be a folder name,
// which is why the test labels live in the split file, not in class folders.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { DEMO_IMAGE_SIZE, demoImageName, loadDemoData, type DemoSplit, type DemoSplitName } from '../engine/demo/data.ts';
import { fsDemoReader } from '../engine/demo/node.ts';
import { parseFlags } from './flags.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_SPLIT_FILE = 'split_zhou_FashionMNIST.json';

function writeSplit(dir: string, split: DemoSplit, name: DemoSplitName, classes: readonly string[]): [string, number, string][] {
  fs.mkdirSync(path.join(dir, name), { recursive: true });
  const px = DEMO_IMAGE_SIZE * DEMO_IMAGE_SIZE;
  return Array.from({ length: split.count }, (_, i) => {
    const png = new PNG({ width: DEMO_IMAGE_SIZE, height: DEMO_IMAGE_SIZE });
    for (let p = 0; p < px; p++) {
      const g = split.images[i * px + p]!;
      png.data.set([g, g, g, 255], 4 * p);
    }
    const rel = demoImageName(name, i);
    fs.writeFileSync(path.join(dir, rel), PNG.sync.write(png));
    const label = split.labels[i]!;
    return [rel, label, classes[label]!];
  });
}

/** Writes the demo's train and test splits under `out`; returns the image folder and the split file. */
export async function writeDemoFolders(out: string): Promise<{ images: string; split: string }> {
  const data = await loadDemoData(fsDemoReader(path.join(ROOT, 'public/demo')));
  const images = path.join(out, 'images'),
    classes = data.index.classNames;
  const train = writeSplit(images, data.splits.train, 'train', classes);
  const test = writeSplit(images, data.splits.test, 'test', classes);
  const split = path.join(out, DEMO_SPLIT_FILE);
  fs.writeFileSync(split, `${JSON.stringify({ train, val: [], test })}\n`);
  return { images, split };
}

export async function demoFoldersCommand(argv: readonly string[]): Promise<number> {
  const values = parseFlags(argv, { out: { type: 'string' } }, (m) => new Error(m));
  if (!values.out) throw new Error('usage: promptkd demo-folders --out DIR');
  const { images, split } = await writeDemoFolders(values.out as string);
  console.log(
    `done: images in ${images}, split file ${split} (try: promptkd label --unlabeled ${images} --split ${split} --teacher models/demo-teacher --no-augment --out labels)`,
  );
  return 0;
}
