// The student's train step as a graph, at ViT-B/16's structure (12 blocks of 12 heads, prompts in 9;
// narrow, so it builds in a moment): how many kernels it asks for, and that none of them binds more
// tensors than WebGPU allows by default. The kernels a real run dispatches are counted on the native
// WebGPU EP by the benchmark (`npm run bench -- --only profile`, docs/gpu.md).
import { describe, expect, it } from 'vitest';
import { randomHfClip, tinyConfig } from '../clip/random-clip.testkit.ts';
import { loadClipWeights } from '../clip/weights.ts';
import { liveNodes } from '../graph/onnx.ts';
import { PAPER_CONFIG } from './run-settings.ts';
import { buildStudentTrainStep } from './student.ts';

/** ops that onnxruntime runs without a kernel (a view of the same buffer) */
const NO_KERNEL = new Set(['Reshape', 'Unsqueeze', 'Squeeze', 'Identity']);
/** WebGPU's default maxStorageBuffersPerShaderStage */
const STORAGE_BUFFERS = 8;

describe('the student train step graph at ViT-B/16 structure', () => {
  const cfg = tinyConfig({ image: 32, patch: 16, vw: 96, vl: 12, vh: 12 });
  const clip = loadClipWeights(randomHfClip(cfg, 3), cfg, { towers: ['vision'] });
  const hyper = { ...PAPER_CONFIG, depth: 9, teacherDim: 768, nClasses: 100 };
  const nodes = liveNodes(buildStudentTrainStep(clip, hyper, 2).graph).nodes;

  it('asks for at most 980 kernels (1472 before the fused backward rules, the Gemm flags and the joined optimizer)', () => {
    const kernels = nodes.filter((n) => !NO_KERNEL.has(n.op)).length;
    console.log(`B/16-structure student step: ${kernels} kernel nodes`);
    expect(kernels).toBeLessThanOrEqual(980);
  });

  it('binds at most 8 tensors in any Concat or Split (more fail to compile on WebGPU)', () => {
    // a Split's second input is its sizes, a constant on the host: no storage buffer
    const bound = (n: (typeof nodes)[number]) => n.inputs.length + n.outputs.length - (n.op === 'Split' ? 1 : 0);
    const widest = Math.max(...nodes.filter((n) => n.op === 'Concat' || n.op === 'Split').map(bound));
    expect(widest).toBeLessThanOrEqual(STORAGE_BUFFERS);
  });
});
