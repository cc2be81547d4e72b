// A fixture directory on disk, for the CLI and the unit tests.
import fs from 'node:fs';
import path from 'node:path';
import type { FixtureSource } from './fixture-files.ts';

export function dirFixtureSource(dir: string): FixtureSource {
  return {
    label: dir,
    async file(rel) {
      const p = path.join(dir, rel);
      return fs.existsSync(p) ? fs.openAsBlob(p) : null;
    },
  };
}
