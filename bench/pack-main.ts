// The GPU pack's benchmark (bundled into lib/bench.mjs by `npm run bench:pack`; run by its run.sh on
// a machine with a GPU and no Chromium): the onnxruntime-node rows, CPU and WebGPU, at the demo and
// the real geometry, with kernel profiles, and the PyTorch reference's result when run.sh ran it on
// the same GPU. Progress goes to stderr; stdout gets ONE JSON line (GpuPackResult).
//
//   node lib/bench.mjs [--only PATTERNS] [--pytorch FILE] [--budget SECONDS]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEMO_GEOMETRY } from './demo-geometry.ts';
import { REAL_GEOMETRY } from './geometry.ts';
import { Recorder } from './measure.ts';
import { nodeRows } from './node-rows.ts';
import { packRatios, type GpuPackResult } from './pack-report.ts';
import { parseOnly } from './rows.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'node-cpu,node-webgpu' },
    pytorch: { type: 'string' },
    budget: { type: 'string', default: '210' },
  },
});
const budgetS = Number(values.budget);
if (!(budgetS > 0)) throw new Error(`--budget must be a positive number of seconds, got '${values.budget}'`);
const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const rec = new Recorder(
  () => budgetS - elapsedS(),
  budgetS,
  (line) => console.error(`[pack ${elapsedS().toFixed(0).padStart(3)} s] ${line}`),
);
const only = parseOnly(values.only);

const result: GpuPackResult = {
  kind: 'promptkd-gpu-pack/1',
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
const node = await nodeRows({ geometries: { demo: DEMO_GEOMETRY, real: REAL_GEOMETRY }, batch: result.batch, only, rec });
result.nodeDevices = node.devices;
finish();
process.exit(0); // Dawn's instance would otherwise keep the process alive
