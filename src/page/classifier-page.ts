// classifier.mjs of an export folder (bundled by src/cli/classifier-page-files.ts): the studio's own
// image decoding and CLIP preprocessing, so that the page and the onnxruntime-web snippet feed the
// model exactly the pixels the studio evaluated, and, on the folder's index.html, the page itself:
// dropped or chosen images and the webcam, top-k with the class names.
//
// onnxruntime-web is the folder's own copy (ort/), loaded at run time from beside this file: the page
// works from any static server with no build step and nothing fetched from elsewhere.
import { decodeImageBlob } from '../engine/clip/decode-web.ts';
import { toRgb, type RgbImage } from '../engine/clip/image.ts';
import { centerCrop, clipPreprocess, resizeShortestEdge } from '../engine/clip/preprocess.ts';

/** float32 [3,S,S] of an image file, preprocessed as the studio does (CLIP: bicubic, centre crop, mean/std) */
export async function pixelValues(image: Blob, size: number, name = 'image'): Promise<Float32Array> {
  return clipPreprocess(await decodeImageBlob(image, name), { size }).data as Float32Array;
}

/** 8-bit pixels as transformers.js' RawImage holds them: 1, 2, 3 or 4 channels interleaved */
export interface Pixels {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/**
 * An image resized (Pillow's bicubic) and centre-cropped to size×size as the studio does, still 8-bit
 * RGB. transformers.js, handed an image already at the model's size, skips its own resize, which is
 * not Pillow's (libvips' affine interpolation in Node, the canvas in the browser) and changes answers.
 */
export function resizedAsStudio(image: Pixels, size: number): RgbImage {
  return centerCrop(resizeShortestEdge(toRgb(image.width, image.height, image.data, image.channels), size), size, size);
}

/** what the page uses of onnxruntime-web (its wasm-only bundle) */
interface OrtTensor {
  readonly data: ArrayLike<number>;
}
interface OrtModule {
  env: { wasm: { numThreads?: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(url: string): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }>;
  };
}

interface Prediction {
  label: string;
  score: number;
}

/** the k best classes with softmax scores, best first */
function topK(logits: ArrayLike<number>, labels: Record<string, string>, k: number): Prediction[] {
  const max = Math.max(...Array.from(logits));
  const exp = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp
    .map((e, i) => ({ label: labels[String(i)] ?? `LABEL_${i}`, score: e / sum }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function showTop(list: HTMLOListElement, top: Prediction[]): void {
  list.replaceChildren(
    ...top.map((p) => {
      const li = document.createElement('li');
      li.textContent = `${p.label}: ${(100 * p.score).toFixed(1)} %`;
      return li;
    }),
  );
  list.dataset.top = top[0]?.label ?? '';
}

async function startPage(): Promise<void> {
  const status = byId<HTMLParagraphElement>('status');
  const fail = (message: string) => {
    status.textContent = message;
    status.className = 'error';
  };
  if (location.protocol === 'file:') return; // index.html says to serve the folder
  const base = new URL('./', import.meta.url);
  let config: { id2label: Record<string, string>; image_size: number; 'transformers.js_config'?: { dtype?: string } };
  try {
    config = await (await fetch(new URL('config.json', base))).json();
  } catch (e) {
    return fail(`config.json could not be read beside this page (${(e as Error).message}); serve the whole export folder.`);
  }
  // the bundle holds onnxruntime's WebAssembly glue and finds its .wasm beside itself
  const ort = (await import(new URL('ort/ort.wasm.bundle.min.mjs', base).href)) as OrtModule;
  // a plain static server does not isolate the page, so WASM threads are unavailable: one thread, said once
  ort.env.wasm.numThreads = 1;
  const file = config['transformers.js_config']?.dtype === 'fp16' ? 'onnx/model_fp16.onnx' : 'onnx/model.onnx';
  let session: Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(new URL(file, base).href);
  } catch (e) {
    return fail(`${file} could not be loaded (${(e as Error).message}); serve the whole export folder.`);
  }
  const S = config.image_size;
  const k = Math.min(5, Object.keys(config.id2label).length);
  const classify = async (rgb: RgbImage): Promise<Prediction[]> => {
    const input = new ort.Tensor('float32', clipPreprocess(rgb, { size: S }).data as Float32Array, [1, 3, S, S]);
    return topK((await session.run({ pixel_values: input })).logits!.data, config.id2label, k);
  };
  status.textContent = `Ready: ${file}, ${Object.keys(config.id2label).length} classes. Drop images, choose them, or use the webcam.`;

  const results = byId<HTMLDivElement>('results');
  const classifyFiles = async (files: readonly File[]) => {
    for (const f of files) {
      const row = document.createElement('div');
      row.className = 'row prediction';
      row.dataset.name = f.name;
      const img = document.createElement('img');
      img.src = URL.createObjectURL(f);
      img.alt = f.name;
      const list = document.createElement('ol');
      row.append(img, list);
      results.prepend(row);
      try {
        showTop(list, await classify(await decodeImageBlob(f, f.name)));
      } catch (e) {
        list.replaceWith(Object.assign(document.createElement('p'), { className: 'error', textContent: (e as Error).message }));
      }
    }
    status.textContent = `Classified ${files.length} image${files.length === 1 ? '' : 's'}.`;
  };
  const input = byId<HTMLInputElement>('files');
  input.addEventListener('change', () => void classifyFiles([...(input.files ?? [])]));
  const drop = byId<HTMLDivElement>('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void classifyFiles([...(e.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/') || f.type === ''));
  });

  const camera = byId<HTMLButtonElement>('camera');
  camera.disabled = !navigator.mediaDevices?.getUserMedia;
  camera.addEventListener('click', async () => {
    const video = byId<HTMLVideoElement>('video');
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    } catch (e) {
      return fail(`The webcam could not be opened (${(e as Error).message}).`);
    }
    byId<HTMLDivElement>('camera-row').hidden = false;
    camera.disabled = true;
    const canvas = document.createElement('canvas');
    const list = byId<HTMLOListElement>('camera-top');
    // one frame at a time: the next is taken when the last is classified
    const frame = async () => {
      if (video.videoWidth > 0) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        ctx.drawImage(video, 0, 0);
        showTop(list, await classify(toRgb(canvas.width, canvas.height, ctx.getImageData(0, 0, canvas.width, canvas.height).data, 4)));
      }
      setTimeout(() => void frame(), 200);
    };
    void frame();
  });
}

// imported by the onnxruntime-web snippet, this module only preprocesses; on the folder's index.html it runs the page
if (typeof document !== 'undefined' && document.getElementById('classifier-page')) void startPage();
