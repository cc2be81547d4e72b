// The CoOp split file in force in the studio (split_zhou_<Dataset>.json): chosen in the Classes step,
// where it sets the class order and so base/new, and used in the Data step, where its image folder
// is imported as the split's labeled test list, its train list (unlabeled) and, if asked, a few-shot
// set drawn from the train list's base classes. The selection is the engine's (engine/data/split-file.ts),
// the one the CLI's --split makes. The file is kept in the studio's storage, so a reload finds it in
// force, and an import of its folder cut off by a closed page is completed with its labels (splitImportFor).
import type { DatasetRole } from '../worker/protocol.ts';
import { create } from 'zustand';
import { fewShotItems, imageFolderPath, splitImages, splitRoot, type SplitFile, type SplitItem } from '../engine/surface.ts';
import type { PickedFile } from './folder-walk.ts';

export interface SplitChoice {
  /** the file's name, as shown */
  name: string;
  split: SplitFile;
}

export interface SplitState {
  chosen: SplitChoice | null;
  /** after its image folder was chosen: the listed files that folder lacks */
  missing: { train: number; test: number; examples: string[] } | null;
}

export const useSplit = create<SplitState>()(() => ({ chosen: null, missing: null }));

export interface SplitImport {
  role: DatasetRole;
  name: string;
  files: PickedFile[];
}

const shotsName = (split: string, shots: number) => `${split}: ${shots} shots per base class`;

/** the few shots are drawn with Dassl's default seed */
export const SHOTS_SEED = 1;

/** PromptSRC's few-shot count for the teacher: 16 images per base class */
export const PROMPTSRC_SHOTS = 16;

/**
 * The imports that bring a split's images in from its image folder's files (paths relative to the
 * chosen folder): the test list (labelled: under its class folders, imageFolderPath), the train list
 * (unlabeled), and with `shots` that many train images per base class (labelled), drawn with `seed`.
 * The folder may be the image folder the split's paths are relative to or one above it (splitRoot).
 */
export function splitImports(
  choice: SplitChoice,
  files: readonly PickedFile[],
  shots: number | null,
  seed: number,
): { imports: SplitImport[]; missing: SplitState['missing'] } {
  const { split, name } = choice;
  // the dataset's folder above its image folder may have been chosen: the split's paths then start below it
  const root =
    splitRoot(
      split,
      files.map((f) => f.path),
    ) ?? '';
  const byPath = new Map(files.filter((f) => f.path.startsWith(root)).map((f) => [f.path.slice(root.length), f.file]));
  const chosen = splitImages(split, (p) => byPath.has(p), root ? `the chosen folder's ${root}` : 'the chosen folder');
  const labeled = (items: readonly SplitItem[]) => items.map((i) => ({ file: byPath.get(i.path)!, path: imageFolderPath(split, i) }));
  const imports: SplitImport[] = [];
  if (chosen.test.length > 0) imports.push({ role: 'test', name: `${name}: test`, files: labeled(chosen.test) });
  imports.push({
    role: 'unlabeled',
    name: `${name}: train`,
    files: chosen.train.map((i) => ({ file: byPath.get(i.path)!, path: i.path })),
  });
  if (shots !== null)
    imports.push({
      role: 'shots',
      name: shotsName(name, shots),
      files: labeled(fewShotItems(split, chosen.train, shots, seed)),
    });
  const lacking = [...chosen.missing.test, ...chosen.missing.train];
  return {
    imports,
    missing:
      lacking.length === 0
        ? null
        : { train: chosen.missing.train.length, test: chosen.missing.test.length, examples: lacking.slice(0, 3).map((i) => i.path) },
  };
}

/**
 * The files that complete an interrupted import of the split's folder (`interrupted`: its name and
 * role, as splitImports named it), labelled by the split file as the first import was; null when the
 * interrupted import is not one of this split's.
 */
export function splitImportFor(
  choice: SplitChoice,
  interrupted: { name: string; role: DatasetRole },
  files: readonly PickedFile[],
  seed = SHOTS_SEED,
): SplitImport | null {
  const shots = interrupted.name.startsWith(`${choice.name}: `) ? /: (\d+) shots per base class$/.exec(interrupted.name) : null;
  const count = shots ? Number(shots[1]) : null;
  if (count !== null && interrupted.name !== shotsName(choice.name, count)) return null;
  return splitImports(choice, files, count, seed).imports.find((i) => i.name === interrupted.name && i.role === interrupted.role) ?? null;
}
