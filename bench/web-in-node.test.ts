// bench/web-in-node.ts as the GPU pack would carry it: bundled by esbuild into one ESM file for Node,
// with onnxruntime-web's files in a folder beside it and Dawn's binding where the bundled `webgpu`
// package looks for it, run by a fresh Node: both entries time both workloads at the fixture's CLIP
// size. Without a GPU this runs on SwiftShader (vitest.config.ts sets the Vulkan variables); where
// there is no Vulkan it skips.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { Timing } from './workloads.ts';
import { WEB_ENTRY_FILES } from './web-in-node.ts';

const vulkan = Boolean(process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES);
const ROOT = path.resolve(import.meta.dirname, '..');
const DIR = path.join(ROOT, '.tmp/web-in-node-bundle');
const require = createRequire(import.meta.url);
/** where the `webgpu` package keeps Dawn's binding, relative to the package (and to a bundle of it) */
const DAWN = path.join('dist', `${process.platform}-${process.arch}`, 'dawn.node');
const ORT_DIST = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'));

/** imports the bundle and prints one JSON object of Timings, keyed "entry workload" */
const RUNNER = `
import fs from 'node:fs';
import { benchWebEntryInNode } from './lib/web-in-node.mjs';
const geometry = JSON.parse(fs.readFileSync(new URL('geometry.json', import.meta.url), 'utf8'));
const ortDir = new URL('ort/', import.meta.url).pathname;
const out = {};
for (const entry of ['jsep', 'native']) {
  for (const workload of ['student-step', 'teacher-forward']) {
    out[entry + ' ' + workload] = await benchWebEntryInNode(entry, workload, geometry, { batch: 5, steady: 2 }, ortDir);
  }
}
process.stdout.write(JSON.stringify(out));
`;

describe.skipIf(!vulkan)('bench/web-in-node.ts bundled', () => {
  it('times both workloads on both onnxruntime-web WebGPU entries from one esbuild bundle', async () => {
    fs.rmSync(DIR, { recursive: true, force: true });
    await build({
      entryPoints: [path.join(ROOT, 'bench/web-in-node.ts')],
      outfile: path.join(DIR, 'lib/web-in-node.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    });
    const bundled = fs.readdirSync(path.join(DIR, 'lib'));
    expect(bundled).toEqual(['web-in-node.mjs']); // one file: no chunks, no copied assets
    // the bundled `webgpu` package loads Dawn from beside the bundle
    fs.mkdirSync(path.dirname(path.join(DIR, 'lib', DAWN)), { recursive: true });
    fs.copyFileSync(path.join(path.dirname(require.resolve('webgpu/package.json')), DAWN), path.join(DIR, 'lib', DAWN));
    fs.mkdirSync(path.join(DIR, 'ort'));
    for (const f of [...WEB_ENTRY_FILES.jsep, ...WEB_ENTRY_FILES.native]) fs.copyFileSync(path.join(ORT_DIST, f), path.join(DIR, 'ort', f));
    const config: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, 'test-data/fixtures/clip-tiny-a/config.json'), 'utf8'));
    fs.writeFileSync(
      path.join(DIR, 'geometry.json'),
      JSON.stringify({ name: 'clip-tiny-a', student: config, teacher: config, classes: 6 }),
    );
    fs.writeFileSync(path.join(DIR, 'run.mjs'), RUNNER);

    // --liftoff-only: without it, Node exits only after V8's background TurboFan compiles of ORT's
    // largest wasm functions (minutes here); timings at this size are SwiftShader's anyway
    const { stdout } = await promisify(execFile)(process.execPath, ['--liftoff-only', path.join(DIR, 'run.mjs')], {
      cwd: DIR,
      maxBuffer: 2 ** 24,
    });
    const timings = JSON.parse(stdout) as Record<string, Timing>;
    expect(Object.keys(timings).sort()).toEqual([
      'jsep student-step',
      'jsep teacher-forward',
      'native student-step',
      'native teacher-forward',
    ]);
    for (const [key, t] of Object.entries(timings)) {
      expect(t.batch, key).toBe(5);
      expect(t.runsMs, key).toHaveLength(2);
      expect(t.medianMs, key).toBeGreaterThan(0);
      expect(t.imagesPerSec, key).toBeCloseTo((1000 * 5) / t.medianMs, 6);
      console.log(`${key}: warm-up ${t.warmupMs.toFixed(0)} ms, steady ${t.medianMs.toFixed(1)} ms`);
    }
  }, 600_000);
});
