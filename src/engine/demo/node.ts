// Node side of the demo data: a DemoReader over a folder (the browser uses fetchDemoReader).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DemoReader } from './data.ts';

export const fsDemoReader = (dir: string): DemoReader =>
  async (file) => new Uint8Array(await readFile(join(dir, file)));
