// Node side of the demo: a DemoReader over a folder (the browser uses fetchDemoReader), and the
// public/ mirror of the demo models.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DemoReader } from './data.ts';

export const fsDemoReader =
  (dir: string): DemoReader =>
  async (file) =>
    new Uint8Array(await readFile(join(dir, file)));

/**
 * Copy `<root>/models` to `<root>/public/models` (without its README), so the studio can fetch the
 * demo models offline from /models/: the public copy is replaced whole.
 */
export function mirrorModelsToPublic(root: string): void {
  const models = join(root, 'models'),
    publicModels = join(root, 'public', 'models');
  rmSync(publicModels, { recursive: true, force: true });
  if (existsSync(models)) cpSync(models, publicModels, { recursive: true, filter: (src) => !src.endsWith('README.md') });
}
