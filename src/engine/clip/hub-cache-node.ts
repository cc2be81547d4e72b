// A HubCache in a directory, for the Node CLIs. Each file is written under a temporary name and
// renamed into place only when its stream has ended cleanly, so a killed or failed download
// leaves no file that looks complete.
import { openAsBlob } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HubCache } from './hub.ts';

const PARTIAL = '.partial-';

export class DirectoryHubCache implements HubCache {
  constructor(readonly dir: string) {}

  // one flat file per key; encodeURIComponent makes '/' and '@' safe in a file name
  private path(key: string) {
    return join(this.dir, encodeURIComponent(key));
  }

  async get(key: string): Promise<Blob | undefined> {
    const p = this.path(key);
    const s = await stat(p).catch(() => undefined);
    return s?.isFile() ? openAsBlob(p) : undefined;
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const final = this.path(key);
    const partial = `${final}${PARTIAL}${process.pid}-${Math.random().toString(36).slice(2)}`;
    const fh = await open(partial, 'w');
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await fh.write(value);
      }
      await fh.close();
      await rename(partial, final);
    } catch (e) {
      await fh.close().catch(() => {});
      await rm(partial, { force: true });
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async keys(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => !n.includes(PARTIAL)).map((n) => decodeURIComponent(n));
  }
}
