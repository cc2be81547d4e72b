// Files the CLI writes are only ever replaced whole: written beside, flushed, then renamed over the
// old one, so a crash, a kill or a pre-empted job leaves the old file or the new one, never half.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const partialOf = (file: string) => `${file}.partial-${process.pid}`;

export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = partialOf(file);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** a Blob (lazily joined from other files, say) streamed to `file` and committed by a rename */
export async function writeBlobAtomic(file: string, blob: Blob): Promise<void> {
  const tmp = partialOf(file);
  try {
    await pipeline(Readable.fromWeb(blob.stream() as import('node:stream/web').ReadableStream), fs.createWriteStream(tmp));
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
