// The fused-attention check against onnxruntime's CPU EP, and the teacher at a ViT's length on
// onnxruntime-node's WebGPU EP (SwiftShader here) against the CPU: the case that showed the native
// EP's MultiHeadAttention wrong from 32 tokens on (docs/gpu.md).
import { describe, expect, it } from 'vitest';
import { vulkanEnv } from '../../../scripts/vulkan-env.mjs';
import { randomHfClip, tinyConfig } from '../clip/random-clip.testkit.ts';
import { loadClipWeights } from '../clip/weights.ts';
import { forwardAttentionOn } from '../clip/transformer.ts';
import { hostTensor } from '../graph/tensor.ts';
import { buildTeacherLogitsGraph, LOGITS, PIXELS, TEACHER_TEXT } from '../promptkd/teacher-graphs.ts';
import { rng } from '../random.ts';
import { checkFusedAttention, fusedAttentionOn } from './fused-attention.ts';
import { createNodeRuntime, openNodeRuntime } from './node.ts';
import type { Runtime } from './runtime.ts';

describe('fused attention', () => {
  it('is trusted on the CPU EP, where it matches the float64 reference', async () => {
    const rt = createNodeRuntime();
    const check = await checkFusedAttention(rt);
    expect(check.works).toBe(true);
    expect(check.maxRelError).toBeLessThan(1e-5);
    expect(await fusedAttentionOn(rt)).toBe(await fusedAttentionOn(rt)); // asked once per runtime
  });

  it.skipIf(vulkanEnv() === null)(
    "gives the same teacher logits at 65 tokens on WebGPU as on the CPU, whatever the EP's own attention does",
    async () => {
      // 32 px, 4 px patches: 64 patches and the class token
      const cfg = tinyConfig({ image: 32, patch: 4, vw: 32, vl: 2, vh: 2 });
      const clip = loadClipWeights(randomHfClip(cfg, 4), cfg, { towers: ['vision'] });
      const r = rng(8);
      const randn = (shape: number[]) =>
        hostTensor(
          'float32',
          shape,
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal()),
        );
      const [pixels, text] = [randn([3, 3, 32, 32]), randn([4, cfg.embedDim])];
      // the teacher's logits graph as Teacher builds it for each runtime: fused attention where it is trusted
      const logits = async (rt: Runtime) => {
        const art = buildTeacherLogitsGraph(clip, null, 3, 4, await forwardAttentionOn(rt));
        const session = await rt.load(art.graph);
        const out = await session.run({ ...art.frozen, [PIXELS]: pixels, [TEACHER_TEXT]: text });
        const data = (await out[LOGITS]!.read()).data.slice() as Float32Array; // [3,4]
        await session.release();
        return data;
      };
      const gpu = await openNodeRuntime('webgpu');
      const check = await fusedAttentionOn(gpu);
      console.log(
        `onnxruntime-node WebGPU (${gpu.device.adapter}): fused attention off by ${check.maxRelError.toExponential(1)}, used: ${check.works}`,
      );
      const [a, b] = [await logits(createNodeRuntime()), await logits(gpu)];
      const scale = Math.max(...Array.from(a, Math.abs));
      const diff = Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));
      expect(diff / scale).toBeLessThan(1e-4);
    },
  );
});
