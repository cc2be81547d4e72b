// Image folders for `promptkd distill`: an unlabeled folder (any images, anywhere below it) and an
// optional labeled test folder labelled by ImageFolder's rule, as the studio labels it
// (engine/data/image-folder.ts: the first folder under the root is the class, at any depth; classes
// sorted). Files that are not readable PNG/JPEG images are skipped and reported, never fatal.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../engine/clip/decode-node.ts';
import { classNamesOf, classOfPath } from '../engine/data/image-folder.ts';
import { splitImages, type SplitFile, type SplitItem } from '../engine/data/split-file.ts';

export class FolderError extends Error {
  override name = 'FolderError';
}

export interface Skipped {
  file: string;
  reason: string;
}

/**
 * Every file below `dir` as paths relative to `dir`, depth first with each folder's entries sorted
 * by name (hidden entries ignored): the folder's listing, whose order the labels' shards split.
 */
export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  const entries = fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

function checkDir(dir: string, what: string): void {
  if (!fs.existsSync(dir)) throw new FolderError(`${what} ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new FolderError(`${what} ${dir} is not a folder`);
}

/** the hex SHA-256 of a file's bytes: labels made from an image are checked against it */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Split files into decodable images and skipped ones (decoding each once, so training never meets a
 * broken file), with each image's content hash.
 */
function sortOut(dir: string, files: readonly string[]): { images: string[]; sha256: Map<string, string>; skipped: Skipped[] } {
  const images: string[] = [],
    skipped: Skipped[] = [],
    sha256 = new Map<string, string>();
  for (const f of files) {
    try {
      const bytes = fs.readFileSync(path.join(dir, f));
      decodeImage(bytes, f);
      images.push(f);
      sha256.set(f, sha256Hex(bytes));
    } catch (e) {
      skipped.push({ file: f, reason: (e as Error).message });
    }
  }
  return { images, sha256, skipped };
}

export interface UnlabeledFolder {
  dir: string;
  /** paths relative to dir */
  images: string[];
  /** hex SHA-256 of each image, by path */
  sha256: ReadonlyMap<string, string>;
  skipped: Skipped[];
}

export function scanUnlabeled(dir: string): UnlabeledFolder {
  checkDir(dir, 'unlabeled folder');
  const { images, sha256, skipped } = sortOut(dir, listFiles(dir));
  if (images.length === 0)
    throw new FolderError(
      `unlabeled folder ${dir} has no PNG or JPEG images${skipped.length ? ` (${skipped.length} other files skipped)` : ''}`,
    );
  return { dir, images, sha256, skipped };
}

export interface LabeledFolder {
  dir: string;
  /** folder names, sorted: label i is classes[i] */
  classes: string[];
  images: { file: string; label: number; sha256: string }[];
  skipped: Skipped[];
}

export function scanLabeled(dir: string): LabeledFolder {
  checkDir(dir, 'test folder');
  const files = listFiles(dir);
  const skipped: Skipped[] = [];
  const inClass: { file: string; cls: string }[] = [];
  for (const file of files) {
    const c = classOfPath(file);
    if ('reason' in c) skipped.push({ file, reason: c.reason });
    else inClass.push({ file, cls: c.cls });
  }
  // a class folder without a readable image is still a class: it is named below, not dropped
  const classes = [...new Set([...classNamesOf(files), ...topFolders(dir)])].sort();
  if (classes.length < 2) {
    throw new FolderError(
      `test folder ${dir} has ${classes.length === 0 ? 'no class folders' : `only one class folder ('${classes[0]}')`}; ` +
        'base/new evaluation needs at least 2 classes in ImageFolder layout (class_name/image.jpg)',
    );
  }
  const found = sortOut(
    dir,
    inClass.map((f) => f.file),
  );
  skipped.push(...found.skipped);
  const labelOf = new Map(inClass.map((f) => [f.file, classes.indexOf(f.cls)]));
  const images = found.images.map((file) => ({ file, label: labelOf.get(file)!, sha256: found.sha256.get(file)! }));
  const empty = classes.filter((_, label) => !images.some((i) => i.label === label));
  if (empty.length)
    throw new FolderError(
      `test folder ${dir}: class folder${empty.length > 1 ? 's' : ''} ${empty.map((c) => `'${c}'`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no PNG or JPEG images`,
    );
  return { dir, classes, images, skipped };
}

/** the folders directly under `dir` (hidden ones aside): every one is a class, even an empty one */
const topFolders = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name);

/**
 * The unlabeled and test images of a CoOp split file (split_zhou_<Dataset>.json) under `imagesDir`:
 * its train list, labels unread, to distill on; its test list, labelled by the file, to evaluate.
 * The file fixes the class order and so the base/new split. Files missing or unreadable are skipped.
 */
export function splitFolders(split: SplitFile, imagesDir: string): { unlabeled: UnlabeledFolder; test: LabeledFolder } {
  checkDir(imagesDir, 'image folder');
  const chosen = splitImages(
    split,
    (p) => fs.statSync(path.join(imagesDir, p), { throwIfNoEntry: false })?.isFile() ?? false,
    imagesDir,
    'give --unlabeled the folder its paths are relative to',
  );
  const readable = (found: readonly SplitItem[], missing: readonly SplitItem[]) => {
    const decoded = sortOut(
      imagesDir,
      found.map((i) => i.path),
    );
    return {
      decoded,
      skipped: [
        ...missing.map((i) => ({ file: i.path, reason: 'listed in the split file but not in the image folder' })),
        ...decoded.skipped,
      ],
    };
  };
  const train = readable(chosen.train, chosen.missing.train);
  if (train.decoded.images.length === 0)
    throw new FolderError(`none of the split file's train images in ${imagesDir} is a readable PNG or JPEG image`);
  const test = readable(chosen.test, chosen.missing.test);
  const labelOf = new Map(chosen.test.map((i) => [i.path, i.label]));
  return {
    unlabeled: { dir: imagesDir, images: train.decoded.images, sha256: train.decoded.sha256, skipped: train.skipped },
    test: {
      dir: imagesDir,
      classes: [...split.classes],
      skipped: test.skipped,
      images: test.decoded.images.map((file) => ({ file, label: labelOf.get(file)!, sha256: test.decoded.sha256.get(file)! })),
    },
  };
}

/** one line naming skipped files (the first few), or null when none were skipped */
export function describeSkipped(where: string, skipped: readonly Skipped[]): string | null {
  if (skipped.length === 0) return null;
  const shown = skipped
    .slice(0, 5)
    .map((s) => s.file)
    .join(', ');
  return `skipped ${skipped.length} file${skipped.length > 1 ? 's' : ''} in ${where} that are not PNG/JPEG images: ${shown}${skipped.length > 5 ? `, … (${skipped.length - 5} more, listed in the report)` : ''}`;
}
