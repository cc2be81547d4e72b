// The import setting 'images' through the worker: a 600×400 photo is kept at 384×256 by default and
// as it is with images 'full'.
import 'fake-indexeddb/auto';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../engine/runtime/node.ts';
import { studioHarness } from './node-studio.testkit.ts';

function photo(width: number, height: number): File {
  const p = new PNG({ width, height });
  for (let i = 0; i < p.data.length; i++) p.data[i] = i % 4 === 3 ? 255 : (i * 7) % 256;
  return new File([new Uint8Array(PNG.sync.write(p))], 'photo.png');
}

describe('stored image size', () => {
  it('keeps a 256-px copy by default and the decoded image with images=full', async () => {
    const h = studioHarness('import-size', createNodeRuntime());
    await h.call('init', { backend: 'wasm' });
    const files = [{ file: photo(600, 400), path: 'photo.png' }];
    const stored = async (datasetId: string) => {
      const d = (await h.storage().getDataset(datasetId))!;
      const [img] = await h.storage().loadImages(datasetId, [d.items[0]!.id]);
      return { width: img!.width, height: img!.height, bytes: img!.rgb.byteLength };
    };
    const reduced = await h.call('importFiles', { role: 'unlabeled', name: 'reduced', files });
    expect(await stored(reduced.datasetId)).toEqual({ width: 384, height: 256, bytes: 384 * 256 * 3 });
    const explicit = await h.call('importFiles', { role: 'unlabeled', name: 'reduced too', files, images: '256' });
    expect(await stored(explicit.datasetId)).toMatchObject({ width: 384, height: 256 });
    const full = await h.call('importFiles', { role: 'unlabeled', name: 'full', files, images: 'full' });
    expect(await stored(full.datasetId)).toEqual({ width: 600, height: 400, bytes: 600 * 400 * 3 });
  });
});
