// Dropped folders and picked files → File objects with paths relative to what the user chose, on the
// main thread (only it can read a drop's entries). Decoding and checking the images is the worker's job.
//
// A dropped single folder is the root: its contents get paths without its name, the way a labeled
// folder's class subfolders become `cat/1.jpg`. The folder picker (`webkitdirectory`) gives
// `picked/cat/1.jpg`, so its first segment is dropped the same way.

export interface PickedFile {
  file: File;
  /** relative to the chosen folder, '/'-separated */
  path: string;
}

export interface UnreadEntry {
  name: string;
  reason: string;
}

export interface WalkResult {
  files: PickedFile[];
  /** entries the browser would not read (permissions, vanished files) */
  unread: UnreadEntry[];
}

// The parts of the File and Directory Entries API the walk uses, so tests can hand in fakes.
export interface EntryLike {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly name: string;
}
export interface FileEntryLike extends EntryLike {
  file(ok: (f: File) => void, fail?: (e: DOMException) => void): void;
}
export interface DirectoryEntryLike extends EntryLike {
  createReader(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (e: DOMException) => void): void };
}

const byPath = (a: PickedFile, b: PickedFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Every entry of a directory: Chromium hands them out at most 100 per readEntries call, until an empty batch. */
export async function readAllEntries(dir: DirectoryEntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader();
  const all: EntryLike[] = [];
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

const fileOf = (e: FileEntryLike) => new Promise<File>((ok, fail) => e.file(ok, fail));
const reasonOf = (e: unknown) => (e instanceof Error || e instanceof DOMException ? e.message || e.name : String(e));

async function walkEntry(entry: EntryLike, path: string, out: WalkResult): Promise<void> {
  if (entry.isFile) {
    try {
      out.files.push({ file: await fileOf(entry as FileEntryLike), path });
    } catch (e) {
      out.unread.push({ name: path, reason: `the browser would not read it: ${reasonOf(e)}` });
    }
    return;
  }
  if (!entry.isDirectory) return;
  let children: EntryLike[];
  try {
    children = await readAllEntries(entry as DirectoryEntryLike);
  } catch (e) {
    out.unread.push({ name: `${path}/`, reason: `the browser would not list this folder: ${reasonOf(e)}` });
    return;
  }
  for (const c of children) await walkEntry(c, path ? `${path}/${c.name}` : c.name, out);
}

/**
 * Walk dropped entries (and plain files that came without one) recursively. One dropped folder is
 * the root; several dropped things keep their names as the first path segment. Hidden files are
 * kept: the worker lists them as skipped, so the report accounts for every file.
 */
export async function walkDropped(entries: readonly EntryLike[], looseFiles: readonly File[] = []): Promise<WalkResult> {
  const out: WalkResult = { files: [], unread: [] };
  const oneFolder = entries.length === 1 && entries[0]!.isDirectory && looseFiles.length === 0;
  for (const e of entries) await walkEntry(e, oneFolder ? '' : e.name, out);
  for (const f of looseFiles) out.files.push({ file: f, path: f.name });
  out.files.sort(byPath);
  return out;
}

/** Read a drop synchronously (the DataTransfer empties once the handler returns), then walk it. */
export function walkDataTransfer(dt: Pick<DataTransfer, 'items' | 'files'>): Promise<WalkResult> {
  const entries: EntryLike[] = [];
  const loose: File[] = [];
  if (dt.items?.length) {
    for (const item of Array.from(dt.items)) {
      if (item.kind !== 'file') continue;
      const entry = item.webkitGetAsEntry?.() as EntryLike | null | undefined;
      if (entry) entries.push(entry);
      else {
        const f = item.getAsFile();
        if (f) loose.push(f);
      }
    }
  } else {
    loose.push(...Array.from(dt.files));
  }
  return walkDropped(entries, loose);
}

/** Files from `<input type=file>`: with `webkitdirectory` their relative paths start with the picked folder. */
export function pickedFiles(files: Iterable<File>): PickedFile[] {
  const out: PickedFile[] = [];
  for (const file of files) {
    const rel = file.webkitRelativePath || file.name;
    const parts = rel.split('/');
    out.push({ file, path: parts.length > 1 ? parts.slice(1).join('/') : rel });
  }
  return out.sort(byPath);
}
