import { describe, expect, it } from 'vitest';
import { classOfPath, parseSplitFile } from '../engine/surface.ts';
import { splitImportFor, splitImports } from './split-choice.ts';

// a made-up split in CoOp's format: label order unlike the names' order, flat paths as OxfordPets has them
const CLASSES = ['tabby', 'beagle', 'pug', 'sphynx'];
const item = (list: string, label: number, i: number) => [`${CLASSES[label]}_${list}${i}.jpg`, label, CLASSES[label]];
const split = parseSplitFile(
  JSON.stringify({
    train: [0, 1, 2, 3].flatMap((c) => [0, 1, 2].map((i) => item('train', c, i))),
    val: [item('val', 0, 0)],
    test: [0, 1, 2, 3].flatMap((c) => [0, 1].map((i) => item('test', c, i))),
  }),
);
const file = (path: string) => ({ file: new File([path], path.split('/').pop()!), path });

describe('a split file in the studio', () => {
  it('imports the test list labelled by the file, the train list unlabeled, and few shots of the base classes', () => {
    // the folder lacks one test image and holds a file the split does not list
    const paths = [...split.train, ...split.test].map((i) => i.path).filter((p) => p !== 'pug_test1.jpg');
    const { imports, missing } = splitImports({ name: 'split_zhou_Made.json', split }, [...paths.map(file), file('notes.txt')], 2, 1);
    expect(imports.map((i) => [i.role, i.name, i.files.length])).toEqual([
      ['test', 'split_zhou_Made.json: test', 7],
      ['unlabeled', 'split_zhou_Made.json: train', 12],
      ['shots', 'split_zhou_Made.json: 2 shots per base class', 4],
    ]);
    const [test, train, shots] = imports;
    // labels by ImageFolder's rule (the worker's) come back as the file's class names
    const labelOf = (p: string) => split.classes.indexOf((classOfPath(p) as { cls: string }).cls);
    expect(test!.files.map((f) => labelOf(f.path))).toEqual(split.test.filter((i) => i.path !== 'pug_test1.jpg').map((i) => i.label));
    expect(test!.files[0]!.file.name).toBe('tabby_test0.jpg');
    expect(train!.files.map((f) => f.path)).toEqual(split.train.map((i) => i.path));
    expect(shots!.files.map((f) => labelOf(f.path))).toEqual([0, 0, 1, 1]);
    expect(missing).toEqual({ train: 0, test: 1, examples: ['pug_test1.jpg'] });
  });

  it("takes the dataset folder above the image folder too: the split's paths start below it", () => {
    const files = [...split.train, ...split.test].map((i) => file(`images/${i.path}`));
    const { imports, missing } = splitImports({ name: 's.json', split }, [file('annotations/list.txt'), ...files], null, 1);
    expect(imports.map((i) => [i.role, i.files.length])).toEqual([
      ['test', 8],
      ['unlabeled', 12],
    ]);
    expect(imports[1]!.files[0]).toEqual({ file: files[0]!.file, path: 'tabby_train0.jpg' });
    expect(imports[0]!.files[0]!.path).toBe('tabby/tabby_test0.jpg');
    expect(missing).toBeNull();
  });

  it('without shots imports two folders; a folder that holds none of the train list is named', () => {
    const { imports, missing } = splitImports(
      { name: 's.json', split },
      split.train.map((i) => file(i.path)),
      null,
      1,
    );
    expect(imports.map((i) => i.role)).toEqual(['unlabeled']);
    expect(missing).toMatchObject({ train: 0, test: 8 });
    expect(() => splitImports({ name: 's.json', split }, [file('images/tabby_0.jpg')], null, 1)).toThrow(
      "none of the split file's 12 train images is in the chosen folder (the first it lists is 'tabby_train0.jpg'); choose the folder its paths are relative to",
    );
  });

  it("completes an interrupted import of the split's folder with the split's labels, not the folder's names", () => {
    // flat paths: ImageFolder's rule would find no class folder at all
    const choice = { name: 'split_zhou_Made.json', split };
    const picked = [...split.train, ...split.test].map((i) => file(i.path));
    const test = splitImportFor(choice, { name: 'split_zhou_Made.json: test', role: 'test' }, picked)!;
    const labelOf = (p: string) => split.classes.indexOf((classOfPath(p) as { cls: string }).cls);
    expect(test.files.map((f) => labelOf(f.path))).toEqual(split.test.map((i) => i.label));
    const shots = splitImportFor(choice, { name: 'split_zhou_Made.json: 2 shots per base class', role: 'shots' }, picked)!;
    expect(shots.files).toEqual(splitImports(choice, picked, 2, 1).imports[2]!.files);
    expect(splitImportFor(choice, { name: 'split_zhou_Made.json: train', role: 'unlabeled' }, picked)!.files).toHaveLength(12);
    // another folder's interrupted import, or another split's, is not this split's
    expect(splitImportFor(choice, { name: 'photos', role: 'test' }, picked)).toBeNull();
    expect(splitImportFor(choice, { name: 'split_zhou_Other.json: test', role: 'test' }, picked)).toBeNull();
  });
});
