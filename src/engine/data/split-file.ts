// CoOp's split files (`split_zhou_<Dataset>.json`), which PromptSRC and PromptKD take their data
// from: {"train": [[relpath, label, classname], …], "val": […], "test": […]}. The labels fix the
// class order (and so the base/new split: base = the first ⌈n/2⌉ labels), the names are the class
// names, and the paths are relative to the dataset's image folder.
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
    throw new SplitFileError(`${source} is not JSON (${(e as Error).message}); a CoOp split file is {"train": [[path, label, classname], …], "val": […], "test": […]}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SplitFileError(`${source} is not a JSON object with "train", "val" and "test" lists`);
  }
  const missing = LISTS.filter((k) => !Array.isArray((json as Record<string, unknown>)[k]));
  if (missing.length > 0) throw new SplitFileError(`${source} has no ${missing.map((k) => `"${k}"`).join(', ')} list: not a CoOp split file`);

  const names = new Map<number, { name: string; at: string }>();
  const labels = new Map<string, { label: number; at: string }>();
  const lists = Object.fromEntries(LISTS.map((key) => [key, ((json as Record<string, unknown[]>)[key]!).map((item, i): SplitItem => {
    const at = `${key}[${i}]`;
    if (!Array.isArray(item) || item.length !== 3 || typeof item[0] !== 'string' || item[0] === '' ||
      !Number.isSafeInteger(item[1]) || item[1] < 0 || typeof item[2] !== 'string' || item[2] === '') {
      throw new SplitFileError(`${source}: ${at} is ${JSON.stringify(item).slice(0, 120)}, expected [relative path, label ≥ 0, class name]`);
    }
    const [path, label, name] = item as [string, number, string];
    // the path is joined to the image folder: it must stay inside it
    if (/^([a-zA-Z]:)?[\\/]/.test(path) || path.split(/[\\/]/).includes('..')) {
      throw new SplitFileError(`${source}: ${at} names '${path}', which is not a path inside the image folder`);
    }
    const seen = names.get(label);
    if (seen && seen.name !== name) throw new SplitFileError(`${source}: label ${label} is '${seen.name}' at ${seen.at} but '${name}' at ${at}; each label has one class name`);
    const other = labels.get(name);
    if (other && other.label !== label) throw new SplitFileError(`${source}: class '${name}' has label ${other.label} at ${other.at} but ${label} at ${at}; each class has one label`);
    if (!seen) names.set(label, { name, at });
    if (!other) labels.set(name, { label, at });
    return { path: path.replaceAll('\\', '/'), label };
  })])) as Record<(typeof LISTS)[number], SplitItem[]>;

  const n = names.size;
  if (n < 2) throw new SplitFileError(`${source} has ${n} class${n === 1 ? '' : 'es'}; base-to-new needs at least 2`);
  const absent = Array.from({ length: n }, (_, i) => i).filter((i) => !names.has(i));
  if (absent.length > 0) {
    const max = Math.max(...names.keys());
    throw new SplitFileError(`${source}: labels must be 0…${n - 1}, one per class, but it uses labels up to ${max} and none of ${absent.slice(0, 10).join(', ')}${absent.length > 10 ? ', …' : ''}`);
  }
  return {
    classes: Array.from({ length: n }, (_, i) => names.get(i)!.name),
    baseCount: Math.ceil(n / 2),
    ...lists,
  };
}
