// The GPU pack's benchmark (bundled into lib/bench.mjs by `npm run bench:pack`; run by its run.sh on
// a machine with a GPU and no Chromium): the onnxruntime-node rows, CPU and WebGPU (fp32 and the fp16
// teacher), and the studio's own WebGPU backends, onnxruntime-web's native EP and JSEP in Node on Dawn
// (bench/web-rows.ts: a step's traffic and dispatches, graph capture on and off), at the demo and the
// real geometry, with kernel profiles, and the PyTorch reference's result when run.sh ran it on the
// same GPU. Progress goes to stderr. stdout gets a JSON line per part as soon as it is measured
// (PACK_PART_KIND: a row, a profile, the web extras), so that a run cut short still says something,
// and the whole result (GpuPackResult) as its last line.
//
//   node lib/bench.mjs [--only PATTERNS] [--pytorch FILE] [--budget SECONDS] [--ort-web DIR]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_GEOMETRY } from './demo-geometry.ts';
import { REAL_GEOMETRY } from './geometry.ts';
import { Recorder } from './measure.ts';
import { nodeRows } from './node-rows.ts';
import { PACK_KIND, PACK_PART_KIND, packRatios, type GpuPackResult } from './pack-report.ts';
import { parseOnly } from './rows.ts';
import { webRows } from './web-rows.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'node-cpu,node-webgpu,web-native,web-jsep' },
    pytorch: { type: 'string' },
    // run.sh's PyTorch reference comes first (about a minute on an H100): the whole pack keeps to 5 minutes
    budget: { type: 'string', default: '200' },
    'ort-web': { type: 'string', default: path.join(import.meta.dirname, 'ort-web') },
  },
});
const budgetS = Number(values.budget);
if (!(budgetS > 0)) throw new Error(`--budget must be a positive number of seconds, got '${values.budget}'`);
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const part = (body: object) => process.stdout.write(`${JSON.stringify({ kind: PACK_PART_KIND, ...body })}\n`);
const rec = new Recorder(
  () => budgetS - elapsedS(),
  budgetS,
  (line) => console.error(`[pack ${elapsedS().toFixed(0).padStart(3)} s] ${line}`),
  part,
);
const only = parseOnly(values.only);

const result: GpuPackResult = {
  kind: PACK_KIND,
  date: new Date().toISOString(),
  only: only.spec,
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  vulkan: { driverFiles: process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES ?? null },
  nodeDevices: {},
  geometries: { demo: DEMO_GEOMETRY.name, real: REAL_GEOMETRY.name },
  batch: 8,
  throughput: rec.throughput,
  profiles: rec.profiles,
  web: null,
  pytorch: null,
  ratios: [],
  seconds: 0,
};

function finish(stoppedEarly?: string): void {
  if (stoppedEarly) result.stoppedEarly = stoppedEarly;
  result.ratios = packRatios(result);
  result.seconds = elapsedS();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// whatever happens, the line comes out: a watchdog prints what was measured so far
setTimeout(
  () => {
    finish(`stopped at the ${budgetS + 30} s limit while measuring ${rec.current}`);
    process.exit(1);
  },
  (budgetS + 30) * 1000,
).unref();

if (values.pytorch) {
  try {
    result.pytorch = JSON.parse(readFileSync(values.pytorch, 'utf8').trim().split('\n').pop() ?? '');
  } catch (e) {
    result.pytorch = { error: `could not read ${values.pytorch}: ${(e as Error).message.split('\n')[0]}` };
  }
}
const geometries = { demo: DEMO_GEOMETRY, real: REAL_GEOMETRY };
const node = await nodeRows({ geometries, batch: result.batch, only, rec });
result.nodeDevices = node.devices;
part({ nodeDevices: node.devices });
const gpu = node.devices['node-webgpu'];
const software = !gpu || 'error' in gpu || gpu.software;
result.web = await webRows({ geometries, batch: result.batch, only, rec, ortDir: values['ort-web'], software });
part({ web: result.web });
finish();
process.exit(0); // Dawn's instance would otherwise keep the process alive
