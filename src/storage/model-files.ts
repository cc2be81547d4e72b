// Model files (Hub downloads and local CLIP folders) in the origin private file system (OPFS), one
// file per model file, written as a stream and read back as a disk-backed File.
//
// Why OPFS and not Cache Storage or IndexedDB (measured in Chromium 156, headless, 2.4 GB written
// in 64 MB pieces; see docs/studio.md, Storage):
// - a normal profile: OPFS and Cache Storage both kept 2.4 GB (one 2.4 GB OPFS file in 16 s);
//   IndexedDB refused Blob values after 512 MB ("DataError: Failed to write blobs (InvalidBlob)"),
//   and refuses any ArrayBuffer value over 127 MB in every context;
// - a private (incognito) window: Cache Storage refused single entries of 300 MB and more, and in
//   total stopped at 0.5–1.4 GB; OPFS kept 1.5 GB, so a ViT-B/16 (0.6 GB) is kept there and a
//   ViT-L/14 (1.7 GB) is refused with QuotaExceededError and used from memory (hub.ts, models.ts).
// - a File from OPFS is read lazily: loadSafetensors reads the header, then each tensor by its own
//   slice, so a 1.7 GB file never becomes one ArrayBuffer; there is no per-entry size limit to
//   split files around, and one file per model file keeps the Storage panel's sizes exact.
//
// Two ways to write. `put` is all or nothing (local model files, teacher labels): createWritable
// writes to a swap file that replaces the file only when the stream closes cleanly, and a write that
// fails removes the empty file it created; a crash between creating the file and committing it
// leaves an empty file, which reads as absent. `write` (Hub downloads) writes in place as bytes
// arrive, so that a download cut off keeps its part and resumes (engine/clip/hub-cache.ts keeps the
// records that say which files are complete).
import type { HubCache } from '../engine/clip/hub.ts';
import { drain } from '../engine/clip/hub-cache.ts';
import { wasmSha256 } from '../engine/clip/sha256.ts';
import type { ModelRole } from './schema.ts';

/** the OPFS root; tests hand in a fake */
export type OpfsRoot = () => Promise<FileSystemDirectoryHandle>;

const browserRoot: OpfsRoot = () => {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) {
    return Promise.reject(
      new DOMException('this browser has no origin private file system (navigator.storage.getDirectory)', 'NotSupportedError'),
    );
  }
  return navigator.storage.getDirectory();
};

const isNotFound = (e: unknown) => (e as Error)?.name === 'NotFoundError' || (e as Error)?.name === 'TypeMismatchError';

/** Files in one OPFS directory, by key (any string: keys are URI-encoded into file names). */
export class OpfsFiles implements HubCache {
  constructor(
    readonly dirName: string,
    private readonly root: OpfsRoot = browserRoot,
  ) {}

  /**
   * The directory; created only for a write. Creating it is a write too, and on a disk over its
   * quota a read (the Storage panel's listing at start-up) must not fail for it.
   */
  private async dir(create = false): Promise<FileSystemDirectoryHandle> {
    return (await this.root()).getDirectoryHandle(this.dirName, { create });
  }

  private static fileName(key: string) {
    return encodeURIComponent(key);
  }

  async get(key: string): Promise<File | undefined> {
    try {
      const file = await (await (await this.dir()).getFileHandle(OpfsFiles.fileName(key))).getFile();
      return file.size > 0 ? file : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async put(key: string, body: ReadableStream<Uint8Array>): Promise<void> {
    const dir = await this.dir(true),
      name = OpfsFiles.fileName(key);
    const existed = await dir.getFileHandle(name).then(
      () => true,
      () => false,
    );
    let writable: FileSystemWritableFileStream | undefined;
    try {
      writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      // pipeTo closes the writable (commits the swap file) when the body ends, and aborts it
      // (discards the swap file) when the body or a write fails
      await body.pipeTo(writable);
    } catch (e) {
      if (!writable) await body.cancel(e).catch(() => undefined);
      if (!existed) await dir.removeEntry(name).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Keeps the first `offset` bytes of `key` and writes `body` after them, in place, as it arrives
   * (HubCache.write): a cut download, or a page closed in the middle, leaves the bytes that came.
   * Through a sync access handle, which writes to the file itself rather than to a swap copy that
   * only a clean close would commit (a worker has them; the studio's downloads run in its worker).
   */
  async write(key: string, offset: number, body: ReadableStream<Uint8Array>): Promise<void> {
    const handle = await (await this.dir(true)).getFileHandle(OpfsFiles.fileName(key), { create: true });
    const access = await openAccessHandle(handle).catch(async (e: unknown) => {
      await body.cancel(e).catch(() => undefined);
      throw e;
    });
    try {
      access.truncate(offset);
      let at = offset;
      await drain(body, (value) => {
        const written = access.write(value as Uint8Array<ArrayBuffer>, { at });
        // past a private window's quota Chromium 156 throws nothing: write() answers a count other than
        // the bytes given (2^32 − 8, measured), and stores part of them or none
        if (written !== value.byteLength) {
          throw new DOMException(
            `the browser did not store the ${value.byteLength} bytes written at byte ${at} of ${key} (it answered ${written}): it has no more room for this site`,
            'QuotaExceededError',
          );
        }
        at += written;
      });
      access.flush();
    } finally {
      access.close();
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await (await this.dir()).removeEntry(OpfsFiles.fileName(key));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    const dir = await this.dir().catch((e: unknown) => {
      if (isNotFound(e)) return null;
      throw e;
    });
    if (!dir) return out;
    for await (const [name, handle] of dir.entries()) {
      if (handle.kind === 'file' && (await (handle as FileSystemFileHandle).getFile()).size > 0) out.push(decodeURIComponent(name));
    }
    return out.sort();
  }
}

/** how long a page's new worker waits for the old one's handle on a file to go (a reload in the middle of a download) */
const HANDLE_WAIT_MS = 5000;

async function openAccessHandle(handle: FileSystemFileHandle): Promise<FileSystemSyncAccessHandle> {
  const until = Date.now() + HANDLE_WAIT_MS;
  for (;;) {
    try {
      return await handle.createSyncAccessHandle();
    } catch (e) {
      // another access handle is open on the file: the worker of the page before a reload may not be gone yet
      if ((e as Error).name !== 'NoModificationAllowedError' || Date.now() > until) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** a local CLIP the user chose: its config.json text and weights */
export interface LocalModelFiles {
  name: string;
  config: string;
  weights: Blob;
}

/** kept local model files, with the SHA-256 their weights had when they were imported */
export interface KeptModelFiles extends LocalModelFiles {
  /** null for files a studio before hashing kept: nothing to check them against */
  sha256: string | null;
}

/**
 * The local model files of each role, so that a reload (and a resumed run) finds the same model:
 * `<role>.safetensors` (the weights, streamed from the user's file and hashed on the way) and
 * `<role>.json` ({name, config, sha256}), written second, so that a role is present only when both are.
 */
export class LocalModelStore {
  private readonly files: OpfsFiles;
  constructor(root?: OpfsRoot) {
    this.files = new OpfsFiles('local-models', root);
  }

  async save(role: ModelRole, model: LocalModelFiles): Promise<void> {
    await this.files.delete(`${role}.json`);
    const hash = await wasmSha256();
    const hashing = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        controller.enqueue(chunk);
      },
    });
    await this.files.put(`${role}.safetensors`, model.weights.stream().pipeThrough(hashing));
    const meta = { name: model.name, config: model.config, sha256: hash.hex() };
    await this.files.put(`${role}.json`, new Blob([JSON.stringify(meta)]).stream());
  }

  async get(role: ModelRole): Promise<KeptModelFiles | undefined> {
    const [meta, weights] = [await this.files.get(`${role}.json`), await this.files.get(`${role}.safetensors`)];
    if (!meta || !weights) return undefined;
    const { name, config, sha256 } = JSON.parse(await meta.text()) as { name: string; config: string; sha256?: string };
    return { name, config, weights, sha256: sha256 ?? null };
  }

  async delete(role: ModelRole): Promise<void> {
    await this.files.delete(`${role}.json`);
    await this.files.delete(`${role}.safetensors`);
  }
}
