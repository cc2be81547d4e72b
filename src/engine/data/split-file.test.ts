import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classOfPath } from './image-folder.ts';
import { fewShotItems, imageFolderPath, parseSplitFile, splitImages, splitRoot } from './split-file.ts';

// a made-up split in CoOp's format (as its json.dump writes it): 5 classes, labels out of order in the
// lists, names with '_'
const SPLIT_TEXT = readFileSync('test-data/splits/split_made_up.json', 'utf8');
const SPLIT: Record<'train' | 'val' | 'test', [string, number, string][]> = JSON.parse(SPLIT_TEXT);
const text = (o: unknown) => JSON.stringify(o);

describe('CoOp split files', () => {
  it('takes class order and names from the labels, base = the first ⌈n/2⌉, and the three lists as given', () => {
    const s = parseSplitFile(SPLIT_TEXT);
    expect(s.classes).toEqual(['golden_retriever', 'cat', 'cow', 'emu', 'owl']);
    expect(s.baseCount).toBe(3);
    expect(s.train).toEqual(SPLIT.train.map(([path, label]) => ({ path, label })));
    expect(s.val.map((i) => i.label)).toEqual([1, 4]);
    expect(s.test.map((i) => `${i.path}:${i.label}`)).toEqual([
      'emu/8.jpg:3',
      'dog_breeds/b/9.jpg:0',
      'cow/10.jpg:2',
      'cat/11.jpg:1',
      'owl/12.jpg:4',
    ]);
    expect(parseSplitFile(`\uFEFF${text({ ...SPLIT, val: [] })}`).val).toEqual([]);
  });

  it('names the items whose labels and class names disagree', () => {
    const renamed = { ...SPLIT, test: [...SPLIT.test, ['cat/13.jpg', 1, 'kitten']] };
    expect(() => parseSplitFile(text(renamed), 'split_zhou_Pets.json')).toThrow(
      `split_zhou_Pets.json: label 1 is 'cat' at train[0] but 'kitten' at test[5]; each label has one class name`,
    );
    const relabeled = { ...SPLIT, val: [['cat/6.jpg', 2, 'cat']] };
    expect(() => parseSplitFile(text(relabeled))).toThrow(
      `split file: label 2 is 'cow' at train[3] but 'cat' at val[0]; each label has one class name`,
    );
    const twice = { ...SPLIT, val: [['x/1.jpg', 5, 'cat']] };
    expect(() => parseSplitFile(text(twice))).toThrow(`class 'cat' has label 1 at train[0] but 5 at val[0]; each class has one label`);
  });

  it('requires labels 0…n−1 without gaps', () => {
    const gap = {
      train: [
        ['a/1.jpg', 0, 'a'],
        ['b/1.jpg', 2, 'b'],
      ],
      val: [],
      test: [],
    };
    expect(() => parseSplitFile(text(gap))).toThrow(
      'split file: labels must be 0…1, one per class, but it uses labels up to 2 and none of 1',
    );
    expect(() => parseSplitFile(text({ train: [['a/1.jpg', 0, 'a']], val: [], test: [] }))).toThrow(
      'has 1 class; base-to-new needs at least 2',
    );
  });

  it('refuses malformed items, paths outside the image folder and files that are not split files', () => {
    expect(() => parseSplitFile(text({ ...SPLIT, train: [['cat/1.jpg', '1', 'cat']] }))).toThrow(
      `train[0] is ["cat/1.jpg","1","cat"], expected [relative path, label ≥ 0, class name]`,
    );
    expect(() => parseSplitFile(text({ ...SPLIT, test: [['cat/1.jpg', -1, 'cat']] }))).toThrow(/test\[0\] is .*expected \[relative path/);
    expect(() => parseSplitFile(text({ ...SPLIT, test: [['../../etc/passwd', 1, 'cat']] }))).toThrow(
      `test[0] names '../../etc/passwd', which is not a path inside the image folder`,
    );
    expect(() => parseSplitFile(text({ ...SPLIT, test: [['/data/cat.jpg', 1, 'cat']] }))).toThrow(/not a path inside the image folder/);
    expect(() => parseSplitFile(text({ train: [], test: [] }))).toThrow('split file has no "val" list: not a CoOp split file');
    expect(() => parseSplitFile('[1, 2]')).toThrow('split file is not a JSON object with "train", "val" and "test" lists');
    expect(() => parseSplitFile('{"train": [')).toThrow(/^split file is not JSON \(/);
  });
});

describe('a split file against an image folder', () => {
  const split = parseSplitFile(SPLIT_TEXT);
  const folder = new Set([
    'cat/1.jpg',
    'dog_breeds/a/2.jpg',
    'owl/3.jpg',
    'emu/5.jpg',
    'emu/8.jpg',
    'cow/10.jpg',
    'cat/11.jpg',
    'owl/12.jpg',
    'extra/x.jpg',
  ]);

  it('selects the listed train and test images the folder holds, and names the missing ones', () => {
    const s = splitImages(split, (p) => folder.has(p));
    expect(s.train.map((i) => i.path)).toEqual(['cat/1.jpg', 'dog_breeds/a/2.jpg', 'owl/3.jpg', 'emu/5.jpg']);
    expect(s.missing.train).toEqual([{ path: 'cow/4.jpg', label: 2 }]);
    expect(s.test.map((i) => `${i.path}:${i.label}`)).toEqual(['emu/8.jpg:3', 'cow/10.jpg:2', 'cat/11.jpg:1', 'owl/12.jpg:4']);
    expect(s.missing.test).toEqual([{ path: 'dog_breeds/b/9.jpg', label: 0 }]);
    expect(() => splitImages(split, () => false, "'pets'")).toThrow(
      `none of the split file's 5 train images is in 'pets' (the first it lists is 'cat/1.jpg'); choose the folder its paths are relative to`,
    );
  });

  it("finds where the split's paths start below a chosen folder", () => {
    expect(splitRoot(split, [...folder])).toBe('');
    expect(splitRoot(split, ['annotations/x.txt', ...[...folder].map((p) => `images/${p}`)])).toBe('images/');
    expect(splitRoot(split, ['data/pets/images/owl/3.jpg'])).toBe('data/pets/images/');
    expect(splitRoot(split, ['cat/2.jpg', 'x/owl/4.jpg'])).toBeNull();
  });

  it("labels items by ImageFolder's rule under their class name, and draws few shots of base classes only", () => {
    const paths = split.test.map((i) => imageFolderPath(split, i));
    expect(paths[1]).toBe('golden_retriever/dog_breeds/b/9.jpg');
    // ImageFolder's rule gives back the file's label through the class name
    expect(paths.map((p) => split.classes.indexOf((classOfPath(p) as { cls: string }).cls))).toEqual(split.test.map((i) => i.label));
    const many = parseSplitFile(
      text({
        train: Array.from({ length: 40 }, (_, k) => [`c${k % 4}/${k}.jpg`, k % 4, `class${k % 4}`]),
        val: [],
        test: [],
      }),
    );
    const shots = fewShotItems(many, many.train, 3, 1);
    expect(shots.map((i) => i.label)).toEqual([0, 0, 0, 1, 1, 1]); // base = labels 0, 1 of 4
    expect(new Set(shots.map((i) => i.path)).size).toBe(6);
    expect(fewShotItems(many, many.train, 3, 1)).toEqual(shots);
    expect(fewShotItems(many, many.train, 3, 2)).not.toEqual(shots);
    expect(fewShotItems(many, many.train.slice(0, 5), 16, 1).map((i) => i.label)).toEqual([0, 0, 1]); // fewer than asked: all there are
    const slash = parseSplitFile(
      text({
        train: [
          ['a/1.jpg', 0, 'AC/DC'],
          ['b/1.jpg', 1, 'b'],
        ],
        val: [],
        test: [],
      }),
    );
    expect(() => imageFolderPath(slash, slash.train[0]!)).toThrow(/class 'AC\/DC' \(label 0\) cannot name a folder/);
  });
});
