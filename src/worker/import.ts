// Folder import: decode each file, keep a resized copy (pixels.ts), and list every file that was
// not imported with its reason. Labeled roles label by ImageFolder's rule (engine/data/image-folder.ts):
// the first folder under the root is the class ('dog/2019/1.jpg' → 'dog'), classes sorted.
//
// The images are committed in batches (storage.ts); a closed tab leaves the dataset marked as an
// interrupted import with the images of the committed batches. The files themselves are gone with
// the page (a File cannot outlive it), so completing it means choosing the folder again: the files
// already stored or skipped are passed over, the rest imported into the same dataset.
import { ImageDecodeError } from '../engine/clip/image-errors.ts';
import { classOfPath, isHiddenPath } from '../engine/data/image-folder.ts';
import type { RgbImage } from '../engine/clip/image.ts';
import type { Dataset, DatasetItem, StoredImage, StudioStorage } from '../storage/storage.ts';
import { StudioInputError } from './errors.ts';
import { storedCopy } from './pixels.ts';
import type { DatasetRole, ImportReport, SkippedImport } from './protocol.ts';

export type Decode = (blob: Blob, name: string) => Promise<RgbImage>;

export interface ImportRequest {
  role: DatasetRole;
  name: string;
  files: { file: Blob; path: string }[];
  /** an interrupted import (`importing` set) that these files complete */
  completes?: Dataset;
  /** the shorter side of the stored copies at most this; null: full resolution; default 256 (pixels.ts) */
  maxEdge?: number | null;
}

/** the hex SHA-256 of a file's bytes: teacher labels made from the file are checked against it */
async function sha256Hex(file: Blob): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export async function importFolder(
  storage: StudioStorage,
  decode: Decode,
  req: ImportRequest,
  onProgress: (done: number, total: number, label: string) => void,
  onDataset: (datasetId: string) => void = () => undefined,
): Promise<{ report: ImportReport; dataset: Dataset }> {
  if (req.files.length === 0) throw new StudioInputError(`"${req.name}" holds no files; choose a folder with images`);
  const prior = req.completes;
  const role = prior?.role ?? req.role;
  const labeled = role !== 'unlabeled';
  const skipped: SkippedImport[] = [];
  const candidates: { file: Blob; path: string; cls?: string }[] = [];
  for (const f of req.files) {
    if (isHiddenPath(f.path)) {
      skipped.push({ name: f.path, reason: 'hidden or system file' });
      continue;
    }
    if (!labeled) {
      candidates.push(f);
      continue;
    }
    const c = classOfPath(f.path);
    if ('reason' in c) skipped.push({ name: f.path, reason: c.reason });
    else candidates.push({ ...f, cls: c.cls });
  }
  const classes = labeled ? [...new Set(candidates.map((c) => c.cls!))].sort() : [];
  if (labeled && classes.length < 2) {
    throw new StudioInputError(
      `a labeled ${role === 'test' ? 'test' : 'few-shot'} folder needs one subfolder per class, at least 2; "${req.name}" has ${classes.length === 0 ? 'none' : `only '${classes[0]}'`}`,
    );
  }
  const dataset: Dataset = prior
    ? {
        ...prior,
        items: [...prior.items],
        skipped: [...prior.skipped, ...skipped.filter((s) => !prior.skipped.some((p) => p.name === s.name))],
        importing: { files: candidates.length },
      }
    : {
        id: newId('ds'),
        name: req.name,
        role,
        classes,
        items: [],
        skipped,
        createdAt: Date.now(),
        importing: { files: candidates.length },
      };
  const done = new Set([...dataset.items.map((it) => it.name), ...dataset.skipped.map((s) => s.name)]);
  if (prior)
    checkSameFolder(
      prior,
      req.name,
      classes,
      candidates.map((c) => c.path),
      done,
    );
  const todo = candidates.filter((c) => !done.has(c.path));
  const total = candidates.length,
    already = total - todo.length;
  let nextId = 1 + Math.max(-1, ...dataset.items.map((it) => Number(it.id.slice(1))));
  onDataset(dataset.id);
  // storage commits a batch with the dataset record as it is then: items fill in as the images stream
  async function* images(): AsyncGenerator<[string, StoredImage]> {
    for (const [i, c] of todo.entries()) {
      onProgress(already + i, total, c.path);
      let img: RgbImage;
      try {
        img = await decode(c.file, c.path);
      } catch (e) {
        if (!(e instanceof ImageDecodeError)) throw e;
        dataset.skipped.push({ name: c.path, reason: e.reason });
        continue;
      }
      const item: DatasetItem = {
        id: `i${nextId++}`,
        name: c.path,
        sha256: await sha256Hex(c.file),
        ...(labeled ? { label: dataset.classes.indexOf(c.cls!) } : {}),
      };
      dataset.items.push(item);
      yield [item.id, storedCopy(img, req.maxEdge)];
    }
  }
  await storage.saveDataset(dataset, images());
  onProgress(total, total, 'done');
  if (dataset.items.length === 0) {
    await storage.deleteDataset(dataset.id);
    const skips = dataset.skipped;
    throw new StudioInputError(
      `no image in "${req.name}" could be read (${skips.length} files skipped: ${skips
        .slice(0, 3)
        .map((s) => `${s.name}: ${s.reason}`)
        .join('; ')})`,
    );
  }
  return { report: { datasetId: dataset.id, imported: dataset.items.length, skipped: dataset.skipped, classes: dataset.classes }, dataset };
}

/** refuses to complete the interrupted import `prior` with a folder that is not the one it came from */
function checkSameFolder(prior: Dataset, name: string, classes: string[], paths: string[], done: Set<string>): void {
  if (prior.classes.join('\n') !== classes.join('\n')) {
    throw new StudioInputError(
      `"${name}" has the classes ${classes.join(', ')}, but the interrupted import "${prior.name}" has ${prior.classes.join(', ')}; choose the same folder again, or remove the interrupted import`,
    );
  }
  if (!paths.some((p) => done.has(p))) {
    throw new StudioInputError(
      `"${name}" holds none of the files already imported into "${prior.name}"; choose the same folder again, or remove the interrupted import`,
    );
  }
}
