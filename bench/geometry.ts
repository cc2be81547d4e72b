// The model geometries the benchmark runs at, and random weights for them made in memory.
//
// Real geometry is OpenAI CLIP ViT-B/16 (PromptKD's student) and ViT-L/14 (its teacher), written as
// Hugging Face config.json objects so they pass through the same parseClipConfig as hub models. Only
// the vision tower is made: the student step and the teacher's image logits never touch the text
// tower (the teacher's class text features are an input, computed once per run).
// Runs in Node and in the browser (no fs here).
import { parseClipConfig, type ClipConfig } from '../src/engine/clip/config.ts';
import { canonicalShapes, type ClipWeights } from '../src/engine/clip/weights.ts';
import { rng } from '../src/engine/random.ts';
import { hostTensor, type HostTensor } from '../src/engine/graph/tensor.ts';

/** A Hugging Face CLIPModel config.json for an OpenAI-style CLIP (64-wide heads, MLP 4× width). */
function openaiClipJson(v: { width: number; layers: number; patch: number }, t: { width: number; layers: number }, embedDim: number) {
  const tower = (w: number, layers: number) => ({
    hidden_size: w,
    intermediate_size: 4 * w,
    num_attention_heads: w / 64,
    num_hidden_layers: layers,
    hidden_act: 'quick_gelu',
  });
  return {
    model_type: 'clip',
    projection_dim: embedDim,
    vision_config: { ...tower(v.width, v.layers), image_size: 224, patch_size: v.patch },
    text_config: { ...tower(t.width, t.layers), eos_token_id: 49407 },
  };
}

export const VIT_B16_JSON = openaiClipJson({ width: 768, layers: 12, patch: 16 }, { width: 512, layers: 12 }, 512);
export const VIT_L14_JSON = openaiClipJson({ width: 1024, layers: 24, patch: 14 }, { width: 768, layers: 12 }, 768);

/** A student/teacher pair of CLIP configs (as config.json objects, so they cross into a browser page). */
export interface GeometryJson {
  name: string;
  student: unknown;
  teacher: unknown;
  /** classes of the teacher's text features (the student's classifier rows) */
  classes: number;
}

export interface Geometry {
  name: string;
  student: ClipConfig;
  teacher: ClipConfig;
  classes: number;
}

export const parseGeometry = (j: GeometryJson): Geometry => ({
  name: j.name,
  student: parseClipConfig(j.student),
  teacher: parseClipConfig(j.teacher),
  classes: j.classes,
});

/**
 * The smallest CLIP a student session runs: one 8-px patch, width 8, `layers` blocks. For counting
 * teacher passes, which depend on the distillation loop and never on the student's size.
 */
export const countingStudentJson = (layers: number): unknown => ({
  model_type: 'clip',
  projection_dim: 8,
  vision_config: { hidden_size: 8, intermediate_size: 32, num_attention_heads: 1, num_hidden_layers: layers, image_size: 8, patch_size: 8 },
  text_config: { hidden_size: 8, intermediate_size: 32, num_attention_heads: 1, num_hidden_layers: 1 },
});

/** PromptKD at ViT-B/16 ← ViT-L/14 with 100 classes (a mid-sized base-to-new class list). */
export const REAL_GEOMETRY: GeometryJson = { name: 'ViT-B/16 ← ViT-L/14', student: VIT_B16_JSON, teacher: VIT_L14_JSON, classes: 100 };

/**
 * Random vision-tower weights in graph layout: U(±√3·σ) (the variance of CLIP's normal init, much
 * cheaper to draw for 300 M values), LayerNorms at identity, zero biases, logit scale ln 100.
 * Numbers only have to stay finite through the tower: the benchmark times arithmetic, not accuracy.
 */
export function randomVisionWeights(cfg: ClipConfig, seed: number, prefix = 'clip'): ClipWeights {
  const r = rng(seed);
  const w = cfg.vision.width,
    residual = w ** -0.5 * (2 * cfg.vision.layers) ** -0.5;
  const tensors = new Map<string, HostTensor>();
  for (const [name, shape] of canonicalShapes(cfg, ['vision'])) {
    const t = hostTensor('float32', shape);
    const data = t.data as Float32Array;
    if (name === 'logit_scale') data[0] = Math.log(100);
    else if (/ln_\w+\.weight$/.test(name)) data.fill(1);
    else if (!name.endsWith('.bias')) {
      const std = name.endsWith('pos_embed')
        ? 0.01
        : name === 'vision.patch_embed.weight'
          ? shape[0]! ** -0.5
          : /(attn\.out|mlp\.proj)\.weight$/.test(name)
            ? residual
            : w ** -0.5;
      const a = Math.sqrt(3) * std;
      for (let i = 0; i < data.length; i++) data[i] = a * (2 * r.next() - 1);
    }
    tensors.set(name, t);
  }
  return { config: cfg, naming: 'hf', prefix, towers: new Set(['vision']), tensors, tokenEmbedding: null };
}

/** n values U(−1, 1) shaped `shape` (pixels, teacher logits and text features of the benchmark) */
export function randomTensor(shape: number[], seed: number): HostTensor {
  const r = rng(seed);
  const t = hostTensor('float32', shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = 2 * r.next() - 1;
  return t;
}
