// A labeled dataset (test or few-shot) seen through the workspace's class list: its labels mapped to
// the workspace's class indices, and its images as pixel batches.
//
// Classes are matched by name; a dataset whose names are not all in the list but that has as many
// classes as the list is matched by position (the user renamed the classes, e.g. 'n01440764' → 'tench').
import type { JobTestSet } from '../engine/promptkd/job.ts';
import type { Rng } from '../engine/random.ts';
import type { HostTensor } from '../engine/graph/tensor.ts';
import type { Dataset, StudioStorage } from '../storage/storage.ts';
import { StudioInputError } from './errors.ts';
import { viewPixels } from './pixels.ts';

export interface LabeledSet {
  dataset: Dataset;
  /** workspace class index of every item, in dataset order */
  labels: number[];
  itemIds: string[];
}

export function labeledSet(dataset: Dataset, classes: readonly string[]): LabeledSet {
  const byName = dataset.classes.map((c) => classes.indexOf(c));
  let map: number[];
  if (byName.every((i) => i >= 0)) map = byName;
  else if (dataset.classes.length === classes.length) map = dataset.classes.map((_, i) => i);
  else {
    const unknown = dataset.classes.filter((c) => !classes.includes(c));
    throw new StudioInputError(
      `the ${dataset.role} folder "${dataset.name}" has classes that are not in the class list: ${unknown.slice(0, 5).join(', ')}; add them to the classes or import another folder`,
    );
  }
  return { dataset, labels: dataset.items.map((it) => map[it.label!]!), itemIds: dataset.items.map((it) => it.id) };
}

/** Pixels of items `indices` [n,3,size,size]; `random` draws one training view seed per image. */
export function labeledPixels(
  storage: StudioStorage,
  set: LabeledSet,
  indices: readonly number[],
  size: number,
  random: Rng | null,
): Promise<HostTensor> {
  return viewPixels(
    storage,
    indices.map((i) => ({ datasetId: set.dataset.id, itemId: set.itemIds[i]!, augmentSeed: random ? random.int(2 ** 31) : null })),
    size,
  );
}

/** the set as the engine's evaluations read it: labels, ids, content hashes and centre views */
export function testImagesOf(storage: StudioStorage, set: LabeledSet): JobTestSet {
  return {
    id: set.dataset.id,
    labels: set.labels,
    ids: set.dataset.items.map((it) => it.name),
    sha256: set.dataset.items.map((it) => it.sha256),
    pixels: (indices, size) => labeledPixels(storage, set, indices, size, null),
  };
}
