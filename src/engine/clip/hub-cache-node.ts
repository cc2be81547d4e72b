// A HubCache in a directory, for the Node CLIs: one flat file per name (encodeURIComponent makes
// '/', '@' and ':' safe in a file name). Bytes are written in place as they arrive, so a killed or
// cut download keeps what came; hub-cache.ts's records say which files are complete.
import { constants, openAsBlob } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { drain, type HubCache } from './hub-cache.ts';

export class DirectoryHubCache implements HubCache {
  constructor(readonly dir: string) {}

  private path(name: string) {
    return join(this.dir, encodeURIComponent(name));
  }

  async get(name: string): Promise<Blob | undefined> {
    const p = this.path(name);
    const s = await stat(p).catch(() => undefined);
    return s?.isFile() ? openAsBlob(p) : undefined;
  }

  async write(name: string, offset: number, body: ReadableStream<Uint8Array>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // read-write, created when missing, and not truncated on open: the first `offset` bytes stay
    const fh = await open(this.path(name), constants.O_RDWR | constants.O_CREAT);
    try {
      await fh.truncate(offset);
      let at = offset;
      await drain(body, async (value) => {
        await fh.write(value, 0, value.byteLength, at);
        at += value.byteLength;
      });
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async delete(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  async keys(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.map((n) => decodeURIComponent(n));
  }
}
