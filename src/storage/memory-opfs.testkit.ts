// Test support: an origin private file system in memory, with the semantics model-files.ts relies on:
// getFileHandle without create throws NotFoundError; createWritable writes to a swap copy that
// replaces the file on close and is dropped on abort; a write past `limitBytes` (over all files)
// throws QuotaExceededError as a browser's would; a sync access handle writes in place, one at a time per
// file, and past the limit stores what fits and answers a wrong count (Chromium's behaviour in a private window).
import type { OpfsRoot } from './model-files.ts';

const notFound = (name: string) => new DOMException(`A requested file or directory could not be found (${name}).`, 'NotFoundError');

class FakeFile {
  data: Blob = new Blob([]);
  locked = false;
  constructor(
    readonly disk: FakeDisk,
    readonly name: string,
  ) {}
  get kind() {
    return 'file' as const;
  }
  async getFile() {
    return new File([this.data], this.name);
  }
  async createSyncAccessHandle() {
    return new FakeAccessHandle(this);
  }
  async createWritable() {
    const parts: Uint8Array[] = [];
    let size = 0;
    return new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.disk.used() + chunk.byteLength > this.disk.limitBytes) {
          this.disk.pending.delete(this); // a failed write drops the swap file, as the browser's does
          throw new DOMException(
            'The operation failed because it would cause the application to exceed its storage quota.',
            'QuotaExceededError',
          );
        }
        parts.push(chunk.slice());
        size += chunk.byteLength;
        this.disk.pending.set(this, size);
      },
      close: () => {
        this.data = new Blob(parts as BlobPart[]);
        this.disk.pending.delete(this);
      },
      abort: () => {
        this.disk.pending.delete(this);
      },
    });
  }
}

/** a sync access handle: writes go to the file itself as they come (kept as parts until read) */
class FakeAccessHandle {
  private open = true;
  constructor(private readonly file: FakeFile) {
    if (file.locked)
      throw new DOMException('Access Handles cannot be created if there is another open Access Handle', 'NoModificationAllowedError');
    file.locked = true;
  }
  truncate(size: number) {
    this.file.data = this.file.data.slice(0, size);
  }
  /** past the quota, stores what fits and answers a count other than the bytes given, as Chromium's does (it throws nothing) */
  write(data: Uint8Array, { at }: { at: number }) {
    if (!this.open) throw new DOMException('the access handle is closed', 'InvalidStateError');
    const disk = this.file.disk;
    const room = Math.max(0, Math.min(data.byteLength, disk.limitBytes - disk.used()));
    const d = this.file.data;
    this.file.data = new Blob([d.slice(0, at), data.slice(0, room) as Uint8Array<ArrayBuffer>, d.slice(at + room)]);
    // Chromium 156 answers 2^32 − 8 (an error code read as unsigned) when a write does not fit
    return room === data.byteLength ? room : 2 ** 32 - 8;
  }
  flush() {}
  close() {
    this.open = false;
    this.file.locked = false;
  }
}

class FakeDir {
  readonly files = new Map<string, FakeFile>();
  readonly dirs = new Map<string, FakeDir>();
  constructor(readonly disk: FakeDisk) {}
  get kind() {
    return 'directory' as const;
  }
  async getDirectoryHandle(name: string, o: { create?: boolean } = {}) {
    if (!this.dirs.has(name)) {
      if (!o.create) throw notFound(name);
      this.dirs.set(name, new FakeDir(this.disk));
    }
    return this.dirs.get(name)!;
  }
  async getFileHandle(name: string, o: { create?: boolean } = {}) {
    if (!this.files.has(name)) {
      if (!o.create) throw notFound(name);
      this.files.set(name, new FakeFile(this.disk, name));
    }
    return this.files.get(name)!;
  }
  async removeEntry(name: string) {
    if (!this.files.delete(name) && !this.dirs.delete(name)) throw notFound(name);
  }
  async *entries(): AsyncIterable<[string, FakeFile | FakeDir]> {
    yield* this.files.entries();
    yield* this.dirs.entries();
  }
}

class FakeDisk {
  readonly pending = new Map<FakeFile, number>();
  readonly root = new FakeDir(this);
  constructor(public limitBytes: number) {}
  used(): number {
    const walk = (d: FakeDir): number =>
      [...d.files.values()].reduce((n, f) => n + f.data.size, 0) + [...d.dirs.values()].reduce((n, s) => n + walk(s), 0);
    return walk(this.root) + [...this.pending.values()].reduce((a, b) => a + b, 0);
  }
}

/** a fresh in-memory OPFS; `limitBytes` caps what all its files may hold together */
export function fakeOpfs(limitBytes = Infinity): { root: OpfsRoot; disk: { limitBytes: number; used(): number } } {
  const disk = new FakeDisk(limitBytes);
  return { root: async () => disk.root as unknown as FileSystemDirectoryHandle, disk };
}
