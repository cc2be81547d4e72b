// Folder import: decode each file, keep a resized copy (pixels.ts), and list every file that was
// not imported with its reason. Labeled roles label by ImageFolder's rule (engine/data/image-folder.ts):
// the first folder under the root is the class ('dog/2019/1.jpg' → 'dog'), classes sorted.
import { ImageDecodeError } from '../engine/clip/image-errors.ts';
import { classOfPath, isHiddenPath } from '../engine/data/image-folder.ts';
import type { RgbImage } from '../engine/clip/image.ts';
import type { Dataset, DatasetItem, StoredImage, StudioStorage } from '../storage/storage.ts';
import { StudioInputError } from './errors.ts';
import { storedCopy } from './pixels.ts';
import type { DatasetRole, ImportReport, SkippedFile } from './protocol.ts';

export type Decode = (blob: Blob, name: string) => Promise<RgbImage>;

export interface ImportRequest {
  role: DatasetRole;
  name: string;
  files: { file: Blob; path: string }[];
}

export const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export async function importFolder(
  storage: StudioStorage, decode: Decode, req: ImportRequest, onProgress: (done: number, total: number, label: string) => void,
): Promise<{ report: ImportReport; dataset: Dataset }> {
  if (req.files.length === 0) throw new StudioInputError(`"${req.name}" holds no files; choose a folder with images`);
  const labeled = req.role !== 'unlabeled';
  const skipped: SkippedFile[] = [];
  const candidates: { file: Blob; path: string; cls?: string }[] = [];
  for (const f of req.files) {
    if (isHiddenPath(f.path)) { skipped.push({ name: f.path, reason: 'hidden or system file' }); continue; }
    if (!labeled) { candidates.push(f); continue; }
    const c = classOfPath(f.path);
    if ('reason' in c) skipped.push({ name: f.path, reason: c.reason });
    else candidates.push({ ...f, cls: c.cls });
  }
  const classes = labeled ? [...new Set(candidates.map((c) => c.cls!))].sort() : [];
  if (labeled && classes.length < 2) {
    throw new StudioInputError(`a labeled ${req.role === 'test' ? 'test' : 'few-shot'} folder needs one subfolder per class, at least 2; "${req.name}" has ${classes.length === 0 ? 'none' : `only '${classes[0]}'`}`);
  }
  const dataset: Dataset = { id: newId('ds'), name: req.name, role: req.role, classes, items: [], skipped, createdAt: Date.now() };
  const total = candidates.length;
  // the dataset's metadata is written after the last image, so items and skipped fill in as the images stream
  async function* images(): AsyncGenerator<[string, StoredImage]> {
    for (const [i, c] of candidates.entries()) {
      onProgress(i, total, c.path);
      let img: RgbImage;
      try {
        img = await decode(c.file, c.path);
      } catch (e) {
        if (!(e instanceof ImageDecodeError)) throw e;
        skipped.push({ name: c.path, reason: e.reason });
        continue;
      }
      const item: DatasetItem = { id: `i${i}`, name: c.path, ...(labeled ? { label: classes.indexOf(c.cls!) } : {}) };
      dataset.items.push(item);
      yield [item.id, storedCopy(img)];
    }
  }
  await storage.saveDataset(dataset, images());
  onProgress(total, total, 'done');
  if (dataset.items.length === 0) {
    await storage.deleteDataset(dataset.id);
    throw new StudioInputError(`no image in "${req.name}" could be read (${skipped.length} files skipped: ${skipped.slice(0, 3).map((s) => `${s.name}: ${s.reason}`).join('; ')})`);
  }
  return { report: { datasetId: dataset.id, imported: dataset.items.length, skipped, classes }, dataset };
}
