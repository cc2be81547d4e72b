// Where `promptkd label` keeps its files in LABELS_DIR, and reading them back: one label file, or a
// folder of finished shards (the chunks of an unfinished shard are not a label set yet).
import fs from 'node:fs';
import path from 'node:path';
import { readLabelPart, type LabelPart } from '../engine/promptkd/teacher-labels.ts';

export class LabelError extends Error {
  override name = 'LabelError';
}

export const MANIFEST_FILE = 'manifest.json';
export const shardFileName = (i: number, n: number) => `shard-${i}-of-${n}.safetensors`;
export const partsDirName = (i: number, n: number) => `shard-${i}-of-${n}.parts`;
const PARTS_DIR = /^shard-(\d+)-of-(\d+)\.parts$/;

/**
 * The label files at `where`: one file, or every .safetensors file in a folder (its finished shards;
 * a file there that is not a shard of the set is named, not skipped). A folder whose shards are still
 * being labelled says which.
 */
export async function readLabelFiles(where: string): Promise<LabelPart[]> {
  if (!fs.existsSync(where)) throw new LabelError(`teacher labels ${where} do not exist`);
  if (fs.statSync(where).isFile()) return [await readLabelPart(await fs.openAsBlob(where), where)];
  const names = fs.readdirSync(where).sort();
  const files = names.filter((n) => n.endsWith('.safetensors') && fs.statSync(path.join(where, n)).isFile());
  const unfinished = names.filter((n) => PARTS_DIR.test(n) && !files.includes(n.replace(/\.parts$/, '.safetensors')));
  if (unfinished.length) {
    const which = unfinished.map((n) => n.replace(PARTS_DIR, '$1/$2')).join(', ');
    throw new LabelError(
      `${where}: shard ${which} ${unfinished.length > 1 ? 'are' : 'is'} still being labelled, or was cut off (run it again to finish it)`,
    );
  }
  if (files.length === 0)
    throw new LabelError(
      `${where} holds no teacher-label files (shard-<i>-of-<n>.safetensors); label into it with promptkd label --out ${where}`,
    );
  return Promise.all(files.map(async (n) => readLabelPart(await fs.openAsBlob(path.join(where, n)), path.join(where, n))));
}
