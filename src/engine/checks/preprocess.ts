// preprocess.* checks: decode preprocess/image.png and run the engine's CLIP preprocessing, against
// CLIPImageProcessor's pixel_values in preprocess/expected.safetensors.
import { decodeImage } from '../clip/decode-node.ts';
import { clipPreprocess } from '../clip/preprocess.ts';
import { hostTensor } from '../graph/tensor.ts';
import { maxRelError, type Check } from './compare.ts';
import { FixtureError, fixtureConfig, fixtureTensor, fixtureTensors, type FixtureSource } from './fixture-files.ts';

/**
 * Looser than the model checks (docs/correctness.md): resizing rounds to uint8 like Pillow, so one pixel
 * off by one level is 1/255/std ≈ 0.015 absolute, ≈ 0.007 relative to the largest |value|.
 * The measured error is printed with the check.
 */
export const PREPROCESS_TOLERANCE = 1e-2;

/** Node only: decodes the PNG with the CLI's decoder (browsers decode through canvas, measured apart). */
export async function preprocessChecks(src: FixtureSource): Promise<Check[]> {
  const image = await src.file('preprocess/image.png');
  const expected = await fixtureTensors(src, 'preprocess/expected.safetensors');
  if (!image || !expected) return [];
  const cfg = await fixtureConfig(src);
  if (!cfg) throw new FixtureError(`${src.label}: the preprocess check needs config.json for the image size`);
  const ref = fixtureTensor(expected, 'preprocess/expected.safetensors', 'pixel_values'); // [1, 3, S, S]
  const chw = clipPreprocess(decodeImage(new Uint8Array(await image.arrayBuffer()), 'preprocess/image.png'), {
    size: cfg.vision.imageSize,
  });
  const ours = hostTensor('float32', [1, ...chw.shape], chw.data); // [1, 3, S, S]
  return [{ name: 'preprocess.pixel_values', maxRelError: maxRelError([[ours, ref]], 'pixel_values'), tolerance: PREPROCESS_TOLERANCE }];
}
