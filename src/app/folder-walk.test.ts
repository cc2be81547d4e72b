import { describe, expect, it } from 'vitest';
import { classNamesOf } from '../engine/surface.ts';
import {
  pickedFiles,
  readAllEntries,
  walkDataTransfer,
  walkDropped,
  type DirectoryEntryLike,
  type EntryLike,
  type FileEntryLike,
} from './folder-walk.ts';

// Fakes of FileSystemFileEntry / FileSystemDirectoryEntry that, like Chromium, hand out at most 100 entries per readEntries call.
const fileEntry = (name: string, opts: { fail?: boolean } = {}): FileEntryLike => ({
  isFile: true,
  isDirectory: false,
  name,
  file: (ok, fail) =>
    opts.fail ? fail!(new DOMException('A requested file or directory could not be found', 'NotFoundError')) : ok(new File([name], name)),
});

function dirEntry(name: string, children: EntryLike[], opts: { failList?: boolean } = {}): DirectoryEntryLike & { calls: number } {
  const d = {
    isFile: false,
    isDirectory: true,
    name,
    calls: 0,
    createReader() {
      let at = 0;
      return {
        readEntries(ok: (e: EntryLike[]) => void, fail?: (e: DOMException) => void) {
          d.calls++;
          // async like the real API
          setTimeout(() => {
            if (opts.failList) return fail!(new DOMException('denied', 'NotReadableError'));
            const batch = children.slice(at, at + 100);
            at += batch.length;
            ok(batch);
          }, 0);
        },
      };
    },
  };
  return d;
}

describe('readAllEntries', () => {
  it('keeps reading past the 100-entry batches until an empty one', async () => {
    const files = Array.from({ length: 250 }, (_, i) => fileEntry(`img${String(i).padStart(3, '0')}.png`));
    const dir = dirEntry('big', files);
    const entries = await readAllEntries(dir);
    expect(entries.map((e) => e.name)).toEqual(files.map((f) => f.name));
    expect(dir.calls).toBe(4); // 100 + 100 + 50 + the empty batch
  });
});

describe('walkDropped', () => {
  it('walks nested folders; one dropped folder is the root; hidden entries are kept for the report', async () => {
    const root = dirEntry('test', [
      dirEntry('dog', [fileEntry('b.jpg'), fileEntry('.DS_Store')]),
      dirEntry('cat', [
        fileEntry('a.png'),
        dirEntry(
          'more',
          Array.from({ length: 130 }, (_, i) => fileEntry(`m${1000 + i}.jpg`)),
        ),
      ]),
      dirEntry('.git', [fileEntry('HEAD')]),
    ]);
    const r = await walkDropped([root]);
    expect(r.unread).toEqual([]);
    expect(r.files).toHaveLength(134);
    expect(r.files[0]!.path).toBe('.git/HEAD');
    expect(r.files[1]!.path).toBe('cat/a.png');
    expect(r.files[2]!.path).toBe('cat/more/m1000.jpg');
    expect(r.files.at(-1)!.path).toBe('dog/b.jpg');
    expect(await r.files[1]!.file.text()).toBe('a.png');
    expect(classNamesOf(r.files.map((f) => f.path))).toEqual(['cat', 'dog']);
  });

  it('keeps the names of several dropped things, loose files included', async () => {
    const r = await walkDropped([dirEntry('cat', [fileEntry('1.jpg')]), fileEntry('x.png')], [new File(['y'], 'y.gif')]);
    expect(r.files.map((f) => f.path)).toEqual(['cat/1.jpg', 'x.png', 'y.gif']);
  });

  it('lists what the browser would not read instead of failing the drop', async () => {
    const r = await walkDropped([
      dirEntry('d', [fileEntry('ok.jpg'), fileEntry('gone.jpg', { fail: true }), dirEntry('locked', [], { failList: true })]),
    ]);
    expect(r.files.map((f) => f.path)).toEqual(['ok.jpg']);
    expect(r.unread).toEqual([
      { name: 'gone.jpg', reason: 'the browser would not read it: A requested file or directory could not be found' },
      { name: 'locked/', reason: 'the browser would not list this folder: denied' },
    ]);
  });
});

describe('walkDataTransfer', () => {
  it('takes entries from items, and files without an entry as loose files', async () => {
    const loose = new File(['z'], 'z.png');
    const items = [
      { kind: 'file', webkitGetAsEntry: () => dirEntry('photos', [fileEntry('p.jpg')]), getAsFile: () => null },
      { kind: 'string', webkitGetAsEntry: () => null, getAsFile: () => null },
      { kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => loose },
    ];
    const r = await walkDataTransfer({ items: items as unknown as DataTransferItemList, files: [] as unknown as FileList });
    expect(r.files.map((f) => f.path)).toEqual(['photos/p.jpg', 'z.png']);
  });
});

const withPath = (rel: string) => Object.assign(new File(['x'], rel.split('/').at(-1)!), { webkitRelativePath: rel }) as File;

describe('pickedFiles', () => {
  it('drops the picked folder name from webkitdirectory paths', () => {
    const p = pickedFiles([withPath('test/dog/2.jpg'), withPath('test/cat/1.jpg'), withPath('test/cat/.DS_Store')]);
    expect(p.map((f) => f.path)).toEqual(['cat/.DS_Store', 'cat/1.jpg', 'dog/2.jpg']);
  });

  it('uses the file name for plain file inputs', () => {
    expect(pickedFiles([new File(['x'], 'a.png')]).map((f) => f.path)).toEqual(['a.png']);
  });
});

describe('classNamesOf on picked and dropped paths', () => {
  it('names the first folder under the root (ImageFolder), sorted by code unit as the worker labels them', () => {
    expect(classNamesOf(['b/1.jpg', 'B/2.jpg', 'a/x/3.jpg', 'loose.jpg', 'b/4.jpg', '.git/HEAD'])).toEqual(['B', 'a', 'b']);
    // a nested folder is part of its class, not a class of its own
    expect(classNamesOf(pickedFiles([withPath('pets/dog/2019/x.jpg'), withPath('pets/cat/y.jpg')]).map((f) => f.path))).toEqual([
      'cat',
      'dog',
    ]);
  });
});
