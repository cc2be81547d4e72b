// The embedded demo: Fashion-MNIST subsets from /demo/ stored as three datasets with fixed ids
// (so loading it again changes nothing) and the demo classes in label order.
import { demoImage, demoImageName, loadDemoData, type DemoReader, type DemoSplit, type DemoSplitName } from '../engine/demo/data.ts';
import type { Dataset, DatasetRole, StoredImage, StudioStorage } from '../storage/storage.ts';

export const DEMO_DATASETS: Record<DatasetRole, { id: string; split: 'train' | 'test' | 'shots'; name: string }> = {
  unlabeled: { id: 'demo-unlabeled', split: 'train', name: 'Demo: Fashion-MNIST (unlabeled)' },
  test: { id: 'demo-test', split: 'test', name: 'Demo: Fashion-MNIST test' },
  shots: { id: 'demo-shots', split: 'shots', name: 'Demo: Fashion-MNIST few-shot' },
};

/** the split's images; each is listed in `dataset.items` as it is given (storage commits the list with each batch) */
function* splitImages(split: DemoSplit, splitName: DemoSplitName, dataset: Dataset, labeled: boolean): Generator<[string, StoredImage]> {
  for (let i = 0; i < split.count; i++) {
    const img = demoImage(split, i);
    dataset.items.push({ id: `i${i}`, name: demoImageName(splitName, i), ...(labeled ? { label: split.labels[i]! } : {}) });
    yield [`i${i}`, { width: img.width, height: img.height, rgb: img.data }];
  }
}

/** Stores whichever demo datasets are missing; returns the demo's class names (label order). */
export async function storeDemoData(
  storage: StudioStorage,
  read: DemoReader,
  onProgress: (done: number, total: number, label: string) => void,
): Promise<string[]> {
  const data = await loadDemoData(read);
  const roles = Object.keys(DEMO_DATASETS) as DatasetRole[];
  for (const [k, role] of roles.entries()) {
    const d = DEMO_DATASETS[role];
    onProgress(k, roles.length, d.name);
    // a demo dataset cut off by a closed page is written again from the start (same ids, same images)
    const stored = await storage.getDataset(d.id);
    if (stored && !stored.importing) continue;
    const split = data.splits[d.split];
    const labeled = role !== 'unlabeled';
    const dataset: Dataset = {
      id: d.id,
      name: d.name,
      role,
      classes: labeled ? [...data.index.classNames] : [],
      skipped: [],
      createdAt: Date.now(),
      demo: true,
      items: [],
    };
    await storage.saveDataset(dataset, splitImages(split, d.split, dataset, labeled), split.count);
  }
  onProgress(roles.length, roles.length, 'demo data stored');
  return [...data.index.classNames];
}
