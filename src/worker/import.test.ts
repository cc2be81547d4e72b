// An import cut off by a closed page, through the studio's requests: the reopened studio lists it as
// interrupted (never among the datasets a run may use), the same folder chosen again completes it
// without decoding the stored files twice, another folder is refused, and it can be removed.
import 'fake-indexeddb/auto';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import { dieDuringPut } from '../storage/torn-write.testkit.ts';
import { studioHarness } from './node-studio.testkit.ts';

const node = createNodeRuntime();
let prefixes = 0;

/** a 4×4 PNG of one grey level */
const png = (v: number): Blob => {
  const p = new PNG({ width: 4, height: 4 });
  p.data.fill(v % 256);
  return new Blob([new Uint8Array(PNG.sync.write(p))]);
};
const folder = (n: number, dir = 'photos') => [
  ...Array.from({ length: n }, (_, i) => ({ file: png(i), path: `${dir}/${String(i).padStart(3, '0')}.png` })),
  { file: new Blob(['not an image']), path: `${dir}/notes.txt` },
];

describe('an interrupted import', () => {
  it('is listed as interrupted after a reload, and choosing the folder again completes it', async () => {
    const prefix = `import-torn-${prefixes++}`;
    const first = studioHarness(prefix, node);
    await first.call('init', { backend: 'wasm' });
    const files = folder(150);
    // the page goes away inside the second batch's transaction (images 64..127)
    const tab = dieDuringPut((store, _v, key) => store === 'images' && String(key).endsWith('/i70'));
    await expect(first.call('importFiles', { role: 'unlabeled', name: 'photos', files: files as never })).rejects.toThrow();
    tab.revive();
    expect(tab.died()).toBe(true);

    const reopened = studioHarness(prefix, node);
    const ws = await reopened.call('init', { backend: 'wasm' });
    expect(ws.datasets).toEqual([]);
    expect(ws.interruptedImports).toMatchObject([{ name: 'photos', role: 'unlabeled', imported: 64, files: 151 }]);
    const id = ws.interruptedImports[0]!.id;

    // another folder is not taken for this one
    await expect(
      reopened.call('importFiles', { role: 'unlabeled', name: 'other', files: folder(3, 'other') as never, completes: id }),
    ).rejects.toThrow(/holds none of the files already imported into "photos"/);

    const eventsBefore = reopened.events.length;
    const report = await reopened.call('importFiles', { role: 'unlabeled', name: 'photos', files: files as never, completes: id });
    expect(report).toMatchObject({ datasetId: id, imported: 150 });
    expect(report.skipped.map((s) => s.name)).toEqual(['photos/notes.txt']);
    // the 64 stored files were passed over, not decoded again
    const progress = reopened.events.slice(eventsBefore).flatMap((e) => (e.kind === 'progress' && e.task === 'import' ? [e.done] : []));
    expect(progress[0]).toBe(64);
    expect(progress).toHaveLength(151 - 64 + 1);
    const after = await reopened.call('workspace', {});
    expect(after.interruptedImports).toEqual([]);
    expect(after.datasets.map((d) => [d.id, d.count])).toEqual([[id, 150]]);
    expect((await reopened.storage().loadImages(id, ['i0', 'i149'])).map((img) => img.rgb[0])).toEqual([0, 149]);
  });

  it('can be removed with its stored images', async () => {
    const prefix = `import-torn-${prefixes++}`;
    const first = studioHarness(prefix, node);
    await first.call('init', { backend: 'wasm' });
    const tab = dieDuringPut((store, _v, key) => store === 'images' && String(key).endsWith('/i100'));
    await expect(first.call('importFiles', { role: 'unlabeled', name: 'photos', files: folder(120) as never })).rejects.toThrow();
    tab.revive();
    const reopened = studioHarness(prefix, node);
    const [cut] = (await reopened.call('init', { backend: 'wasm' })).interruptedImports;
    const ws = await reopened.call('deleteDataset', { datasetId: cut!.id });
    expect(ws.interruptedImports).toEqual([]);
    await expect(reopened.storage().loadImages(cut!.id, ['i0'])).rejects.toThrow(/missing/);
  });
});
