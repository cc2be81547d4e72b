// The folder the import-scale bench row imports: COUNT generated JPEGs under .tmp/ (never committed),
// spread over a few class subfolders, sides 200–800 px, each drawn from its own seed so every run
// imports the same pictures. Each is a two-colour gradient with a few discs and per-pixel noise, so
// the files weigh what photos of that size do (tens of kB), not what flat colour does.
//
// The pixels are drawn and JPEG-encoded in Chromium (OffscreenCanvas.convertToBlob: libjpeg-turbo)
// because jpeg-js, pure JS, needs ~0.35 s per 500×500 image here: an hour for 10,000. Generated once
// and reused: a folder whose marker file (beside it) names the same recipe is taken as it is.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from '@playwright/test';

export interface ScaleFolder {
  dir: string;
  count: number;
  classes: string[];
  /** the JPEGs' bytes in all */
  bytes: number;
  /** seconds spent generating (0 when reused) */
  generatedS: number;
}

const CLASSES = ['bicycle', 'harbour', 'kitchen', 'meadow', 'street'];
const SEED = 20261128;
const QUALITY = 0.85;
const BATCH = 50;
const RECIPE = `v2 seed=${SEED} quality=${QUALITY} classes=${CLASSES.join(',')} sides=200-800`;

/** in the page: images [first, first + n) as base64 JPEGs */
function drawJpegs([seed, first, n, quality]: [number, number, number, number]): Promise<string[]> {
  const one = async (index: number): Promise<string> => {
    let s = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0; // mulberry32, one stream per image
    const next = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (k: number) => Math.floor(next() * k);
    const width = 200 + int(601),
      height = 200 + int(601);
    const colour = () => `rgb(${int(256)},${int(256)},${int(256)})`;
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    const gradient = ctx.createLinearGradient(0, 0, width, height);
    gradient.addColorStop(0, colour());
    gradient.addColorStop(1, colour());
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, width, height);
    ctx.globalAlpha = 0.5;
    for (let k = 3 + int(4); k > 0; k--) {
      ctx.fillStyle = colour();
      ctx.beginPath();
      ctx.arc(next() * width, next() * height, 20 + next() * 120, 0, 2 * Math.PI);
      ctx.fill();
    }
    // grain: a 64×64 tile of seeded noise laid over the picture
    const tile = new ImageData(64, 64);
    for (let i = 0; i < tile.data.length; i += 4) {
      const v = int(256);
      tile.data[i] = v;
      tile.data[i + 1] = v;
      tile.data[i + 2] = v;
      tile.data[i + 3] = 255;
    }
    const grain = new OffscreenCanvas(64, 64);
    grain.getContext('2d')!.putImageData(tile, 0, 0);
    ctx.globalAlpha = 0.12;
    ctx.fillStyle = ctx.createPattern(grain, 'repeat')!;
    ctx.fillRect(0, 0, width, height);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality })).arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  };
  return Promise.all(Array.from({ length: n }, (_, k) => one(first + k)));
}

/** the COUNT-image folder under `root`, generated unless a complete one with the same recipe is there */
export async function scaleFolder(browser: Browser, root: string, count: number, log: (line: string) => void): Promise<ScaleFolder> {
  const dir = path.join(root, `import-scale-${count}`);
  const marker = `${dir}.recipe.txt`; // written last, beside the folder: a folder without it is incomplete
  const recipe = `${RECIPE} count=${count}`;
  if (existsSync(marker)) {
    const [line, bytes] = readFileSync(marker, 'utf8').split('\n');
    if (line === recipe) return { dir, count, classes: CLASSES, bytes: Number(bytes), generatedS: 0 };
  }
  rmSync(marker, { force: true });
  rmSync(dir, { recursive: true, force: true });
  for (const c of CLASSES) mkdirSync(path.join(dir, c), { recursive: true });
  const started = performance.now();
  const page = await browser.newPage();
  // tsx (esbuild keepNames) wraps the named functions inside drawJpegs in calls to its __name helper,
  // which a page does not have
  await page.evaluate('globalThis.__name = (f) => f');
  let bytes = 0;
  try {
    for (let first = 0; first < count; first += BATCH) {
      const n = Math.min(BATCH, count - first);
      const jpegs = await page.evaluate(drawJpegs, [SEED, first, n, QUALITY] as [number, number, number, number]);
      jpegs.forEach((b64, k) => {
        const i = first + k;
        const file = Buffer.from(b64, 'base64');
        writeFileSync(path.join(dir, CLASSES[i % CLASSES.length]!, `${String(i).padStart(5, '0')}.jpg`), file);
        bytes += file.length;
      });
      if ((first + n) % 1000 === 0)
        log(`generated ${first + n} of ${count} JPEGs (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await page.close();
  }
  writeFileSync(marker, `${recipe}\n${bytes}\n`);
  return { dir, count, classes: CLASSES, bytes, generatedS: (performance.now() - started) / 1000 };
}
