// CoOp's split files (`split_zhou_<Dataset>.json`), which PromptSRC and PromptKD take their data
// from: {"train": [[relpath, label, classname], …], "val": […], "test": […]}. The labels fix the
// class order (and so the base/new split: base = the first ⌈n/2⌉ labels), the names are the class
// names, and the paths are relative to the dataset's image folder.
import { rng } from '../random.ts';

export class SplitFileError extends Error {
  override name = 'SplitFileError';
}

export interface SplitItem {
  /** relative to the image folder, '/'-separated */
  readonly path: string;
  readonly label: number;
}

export interface SplitFile {
  /** class names by label, as the file spells them (PromptSRC's prompts turn '_' into ' ') */
  readonly classes: readonly string[];
  /** labels 0 … baseCount−1 are the base classes, the rest new */
  readonly baseCount: number;
  readonly train: readonly SplitItem[];
  readonly val: readonly SplitItem[];
  readonly test: readonly SplitItem[];
}

const LISTS = ['train', 'val', 'test'] as const;

export function parseSplitFile(text: string, source = 'split file'): SplitFile {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new SplitFileError(
      `${source} is not JSON (${(e as Error).message}); a CoOp split file is {"train": [[path, label, classname], …], "val": […], "test": […]}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SplitFileError(`${source} is not a JSON object with "train", "val" and "test" lists`);
  }
  const missing = LISTS.filter((k) => !Array.isArray((json as Record<string, unknown>)[k]));
  if (missing.length > 0)
    throw new SplitFileError(`${source} has no ${missing.map((k) => `"${k}"`).join(', ')} list: not a CoOp split file`);

  const names = new Map<number, { name: string; at: string }>();
  const labels = new Map<string, { label: number; at: string }>();
  const lists = Object.fromEntries(
    LISTS.map((key) => [
      key,
      (json as Record<string, unknown[]>)[key]!.map((item, i): SplitItem => {
        const at = `${key}[${i}]`;
        if (
          !Array.isArray(item) ||
          item.length !== 3 ||
          typeof item[0] !== 'string' ||
          item[0] === '' ||
          !Number.isSafeInteger(item[1]) ||
          item[1] < 0 ||
          typeof item[2] !== 'string' ||
          item[2] === ''
        ) {
          throw new SplitFileError(
            `${source}: ${at} is ${JSON.stringify(item).slice(0, 120)}, expected [relative path, label ≥ 0, class name]`,
          );
        }
        const [path, label, name] = item as [string, number, string];
        // the path is joined to the image folder: it must stay inside it
        if (/^([a-zA-Z]:)?[\\/]/.test(path) || path.split(/[\\/]/).includes('..')) {
          throw new SplitFileError(`${source}: ${at} names '${path}', which is not a path inside the image folder`);
        }
        const seen = names.get(label);
        if (seen && seen.name !== name)
          throw new SplitFileError(
            `${source}: label ${label} is '${seen.name}' at ${seen.at} but '${name}' at ${at}; each label has one class name`,
          );
        const other = labels.get(name);
        if (other && other.label !== label)
          throw new SplitFileError(
            `${source}: class '${name}' has label ${other.label} at ${other.at} but ${label} at ${at}; each class has one label`,
          );
        if (!seen) names.set(label, { name, at });
        if (!other) labels.set(name, { label, at });
        return { path: path.replaceAll('\\', '/'), label };
      }),
    ]),
  ) as Record<(typeof LISTS)[number], SplitItem[]>;

  const n = names.size;
  if (n < 2) throw new SplitFileError(`${source} has ${n} class${n === 1 ? '' : 'es'}; base-to-new needs at least 2`);
  const absent = Array.from({ length: n }, (_, i) => i).filter((i) => !names.has(i));
  if (absent.length > 0) {
    const max = Math.max(...names.keys());
    throw new SplitFileError(
      `${source}: labels must be 0…${n - 1}, one per class, but it uses labels up to ${max} and none of ${absent.slice(0, 10).join(', ')}${absent.length > 10 ? ', …' : ''}`,
    );
  }
  return {
    classes: Array.from({ length: n }, (_, i) => names.get(i)!.name),
    baseCount: Math.ceil(n / 2),
    ...lists,
  };
}

export interface SplitImages {
  /** the train list's items the image folder holds: distilled on, their labels unread */
  train: SplitItem[];
  /** the test list's items the image folder holds: evaluated, labelled by the file */
  test: SplitItem[];
  /** items a list names that the image folder lacks */
  missing: { train: SplitItem[]; test: SplitItem[] };
}

/**
 * The split's train and test items found in the image folder (`has(path)`: the folder holds a file
 * at that relative path). The CLI (a folder on disk) and the studio (a picked folder) both select
 * through here. Refuses a folder that holds none of the train list (the wrong folder was chosen),
 * with `fix` saying how to name the right one.
 */
export function splitImages(
  split: SplitFile,
  has: (path: string) => boolean,
  folder = 'the image folder',
  fix = 'choose the folder its paths are relative to',
): SplitImages {
  const part = (items: readonly SplitItem[]) => {
    const found: SplitItem[] = [],
      missing: SplitItem[] = [];
    for (const i of items) (has(i.path) ? found : missing).push(i);
    return { found, missing };
  };
  const train = part(split.train),
    test = part(split.test);
  if (train.found.length === 0) {
    throw new SplitFileError(
      `none of the split file's ${split.train.length} train images is in ${folder} (the first it lists is '${split.train[0]?.path ?? '—'}'); ${fix}`,
    );
  }
  return { train: train.found, test: test.found, missing: { train: train.missing, test: test.missing } };
}

/**
 * Where, below a chosen folder holding `paths`, the split's paths start: '' when they are relative to
 * the folder itself, 'images/' when the dataset's folder above its image folder was chosen
 * (oxford_pets/ rather than oxford_pets/images/); null when no listed train image is found at all.
 * The first `probe` train items are looked for.
 */
export function splitRoot(split: SplitFile, paths: readonly string[], probe = 20): string | null {
  const have = new Set(paths);
  const probes = split.train.slice(0, probe);
  if (probes.some((i) => have.has(i.path))) return '';
  for (const p of paths) {
    const hit = probes.find((i) => p.endsWith(`/${i.path}`));
    if (hit) return p.slice(0, p.length - hit.path.length);
  }
  return null;
}

/**
 * `shots` items of each base class from `train` (all of a class' items when it has fewer), drawn
 * with `seed`: the few-shot set the teacher is tuned on (PromptSRC: 16 per base class). Dassl draws
 * its few shots with Python's `random.sample`; these are other images of the same classes.
 */
export function fewShotItems(split: SplitFile, train: readonly SplitItem[], shots: number, seed: number): SplitItem[] {
  if (!Number.isInteger(shots) || shots < 1) throw new SplitFileError(`shots per class must be a whole number from 1, got ${shots}`);
  const r = rng(seed);
  return Array.from({ length: split.baseCount }, (_, label) => {
    const own = train.filter((i) => i.label === label);
    return r.shuffle([...own]).slice(0, shots);
  }).flat();
}

/**
 * The path under which a split item is labelled by ImageFolder's rule (image-folder.ts): its class
 * name as the first folder (`Abyssinian/Abyssinian_100.jpg`). The studio imports a split's labeled
 * lists under these paths, so they are labelled by name exactly as the file labels them.
 */
export function imageFolderPath(split: SplitFile, item: SplitItem): string {
  const cls = split.classes[item.label]!;
  if (/[\\/]/.test(cls) || cls.startsWith('.')) {
    throw new SplitFileError(
      `class '${cls}' (label ${item.label}) cannot name a folder: class names with '/' or '\\' or a leading '.' cannot be labelled in the studio; use the CLI's --split`,
    );
  }
  return `${cls}/${item.path}`;
}
