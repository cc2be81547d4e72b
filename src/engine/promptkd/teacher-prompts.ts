// The teacher's learnable prompts (PromptSRC / IVLP on both towers of a CLIP) as host tensors, their
// PromptSRC/PromptKD state-dict names, and import (safetensors or PyTorch checkpoints) and export.
//
// Text tower: `prompt_learner.ctx` [nCtx,Wt] replaces the nCtx tokens after the start token of every
// class prompt; text block i (1 ≤ i < textDepth) replaces the same positions with its own
// `text_encoder.transformer.resblocks.{i}.VPT_shallow` [nCtx,Wt].
// Vision tower: `image_encoder.VPT` [nCtx,Wv] is appended after the positional embedding; vision
// block i (1 ≤ i < visionDepth) replaces those last nCtx tokens with
// `image_encoder.transformer.resblocks.{i}.VPT_shallow` [nCtx,Wv] (the student's layout).
import type { ClipConfig } from '../clip/config.ts';
import { loadSafetensors, readSafetensorsHeader, writeSafetensors } from '../clip/safetensors.ts';
import type { Rng } from '../random.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { looksLikeTorchCheckpoint, readTorchCheckpoint } from '../torch/checkpoint.ts';
import { VPT, vptShallow } from './state.ts';
import { misplacedLabels } from './teacher-labels.ts';

export class TeacherPromptError extends Error {
  override name = 'TeacherPromptError';
}

export interface TeacherPromptOptions {
  /** prompt tokens per tower (PromptSRC: 4) */
  nCtx: number;
  /** blocks that see a prompt, counting the input prompts as block 0 (PromptSRC: 9) */
  depth: number;
}

export const PROMPTSRC_TEACHER_PROMPTS: TeacherPromptOptions = { nCtx: 4, depth: 9 };

/** The prompt layout for one teacher model, with the requested depth clamped to each tower. */
export interface TeacherPromptPlan {
  readonly nCtx: number;
  readonly textDepth: number;
  readonly visionDepth: number;
  readonly textWidth: number;
  readonly visionWidth: number;
  /** why the plan differs from what was asked (e.g. a depth clamped to the tower's layer count) */
  readonly notes: readonly string[];
}

export function planTeacherPrompts(cfg: ClipConfig, opts: TeacherPromptOptions = PROMPTSRC_TEACHER_PROMPTS): TeacherPromptPlan {
  const { nCtx, depth } = opts;
  if (!Number.isInteger(nCtx) || nCtx < 1) throw new TeacherPromptError(`teacher prompts: n_ctx must be a positive integer, got ${nCtx}`);
  if (!Number.isInteger(depth) || depth < 1)
    throw new TeacherPromptError(`teacher prompts: depth must be a positive integer, got ${depth}`);
  // start token + context + at least a class token and the end token must fit the context length
  if (1 + nCtx + 2 > cfg.text.contextLength) {
    throw new TeacherPromptError(`teacher prompts: n_ctx ${nCtx} leaves no room for a class name in ${cfg.text.contextLength} text tokens`);
  }
  const notes: string[] = [];
  const clamp = (tower: string, layers: number) => {
    if (depth <= layers) return depth;
    notes.push(`prompt depth ${depth} clamped to ${layers}: the teacher's ${tower} tower has only ${layers} blocks`);
    return layers;
  };
  return {
    nCtx,
    textDepth: clamp('text', cfg.text.layers),
    visionDepth: clamp('vision', cfg.vision.layers),
    textWidth: cfg.text.width,
    visionWidth: cfg.vision.width,
    notes,
  };
}

export interface TeacherPrompts {
  readonly nCtx: number;
  /** [nCtx,Wt] */
  readonly textCtx: HostTensor;
  /** textDepth−1 tensors [nCtx,Wt], for text blocks 1 … textDepth−1 */
  readonly textDeep: readonly HostTensor[];
  /** [nCtx,Wv] */
  readonly visionShallow: HostTensor;
  /** visionDepth−1 tensors [nCtx,Wv], for vision blocks 1 … visionDepth−1 */
  readonly visionDeep: readonly HostTensor[];
}

/** the vision names are the student's: both are PromptSRC's `image_encoder` */
export const TEACHER_PROMPT_NAMES = {
  textCtx: 'prompt_learner.ctx',
  textDeep: (block: number) => `text_encoder.transformer.resblocks.${block}.VPT_shallow`,
  visionShallow: VPT,
  visionDeep: vptShallow,
} as const;

/**
 * PromptSRC's context initialisation: with n_ctx no longer than the init phrase, the context starts
 * as the phrase's own token embeddings and the prompt reads "a photo of a {class}."; a longer
 * context starts random and the prompt reads "X X … X {class}.".
 */
export const CTX_INIT_PHRASE = 'a photo of a';
export const CTX_INIT_WORDS = CTX_INIT_PHRASE.split(' ').length;

/** the class-prompt template, `{}` standing for the class name */
export function teacherPromptTemplate(nCtx: number): string {
  return nCtx <= CTX_INIT_WORDS ? `${CTX_INIT_PHRASE} {}.` : `${Array(nCtx).fill('X').join(' ')} {}.`;
}

/** PyTorch's `nn.init.normal_(std=0.02)`, from a seeded generator */
function normalInit(random: Rng, rows: number, width: number): HostTensor {
  const data = new Float32Array(rows * width);
  for (let i = 0; i < data.length; i++) data[i] = 0.02 * random.normal();
  return hostTensor('float32', [rows, width], data);
}

/**
 * Fresh prompts for `plan`. `initPhraseEmbedding` [k,Wt] holds the token embeddings of the init
 * phrase's k tokens (k = CTX_INIT_WORDS for CLIP's BPE); it seeds the text context when nCtx ≤ k.
 */
export function initTeacherPrompts(plan: TeacherPromptPlan, initPhraseEmbedding: HostTensor, random: Rng): TeacherPrompts {
  const { nCtx, textWidth: wt, visionWidth: wv } = plan;
  const [k, w] = initPhraseEmbedding.shape as [number, number];
  if (w !== wt) throw new TeacherPromptError(`init phrase embedding has width ${w}, the teacher's text width is ${wt}`);
  const textCtx =
    nCtx <= k
      ? hostTensor('float32', [nCtx, wt], Float32Array.from(initPhraseEmbedding.data.subarray(0, nCtx * wt) as Float32Array))
      : normalInit(random, nCtx, wt);
  return {
    nCtx,
    textCtx,
    textDeep: Array.from({ length: plan.textDepth - 1 }, () => normalInit(random, nCtx, wt)),
    visionShallow: normalInit(random, nCtx, wv),
    visionDeep: Array.from({ length: plan.visionDepth - 1 }, () => normalInit(random, nCtx, wv)),
  };
}

/** The plan that `p` fills (its own depths), checked against the teacher's widths. */
export function planOfPrompts(cfg: ClipConfig, p: TeacherPrompts): TeacherPromptPlan {
  const plan: TeacherPromptPlan = {
    nCtx: p.nCtx,
    textDepth: p.textDeep.length + 1,
    visionDepth: p.visionDeep.length + 1,
    textWidth: cfg.text.width,
    visionWidth: cfg.vision.width,
    notes: [],
  };
  const expect = (name: string, t: HostTensor, width: number) => {
    if (t.shape.length !== 2 || t.shape[0] !== p.nCtx || t.shape[1] !== width) {
      throw new TeacherPromptError(`prompt '${name}' is [${t.shape.join(',')}], the teacher needs [${p.nCtx},${width}]`);
    }
  };
  for (const [name, t] of Object.entries(teacherPromptStateDict(p))) {
    expect(name, t, name.startsWith('image_encoder') ? cfg.vision.width : cfg.text.width);
  }
  if (plan.textDepth > cfg.text.layers || plan.visionDepth > cfg.vision.layers) {
    throw new TeacherPromptError(
      `prompt depths text ${plan.textDepth} / vision ${plan.visionDepth} exceed the teacher's ${cfg.text.layers} / ${cfg.vision.layers} blocks`,
    );
  }
  return plan;
}

/** The prompts under their PromptSRC/PromptKD state-dict names. */
export function teacherPromptStateDict(p: TeacherPrompts): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {
    [TEACHER_PROMPT_NAMES.textCtx]: p.textCtx,
    [TEACHER_PROMPT_NAMES.visionShallow]: p.visionShallow,
  };
  p.textDeep.forEach((t, i) => {
    out[TEACHER_PROMPT_NAMES.textDeep(i + 1)] = t;
  });
  p.visionDeep.forEach((t, i) => {
    out[TEACHER_PROMPT_NAMES.visionDeep(i + 1)] = t;
  });
  return out;
}

export function exportTeacherPrompts(p: TeacherPrompts, metadata: Record<string, string> = {}): Uint8Array<ArrayBuffer> {
  return writeSafetensors(teacherPromptStateDict(p), {
    format: 'promptsrc-teacher-prompts',
    n_ctx: String(p.nCtx),
    text_depth: String(p.textDeep.length + 1),
    vision_depth: String(p.visionDeep.length + 1),
    ...metadata,
  });
}

const TEXT_DEEP = /^text_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow$/;
const VISION_DEEP = /^image_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow$/;

/**
 * Prompts from a state dict (tensors by name; other tensors, such as a whole PromptSRC checkpoint's
 * frozen weights, are ignored), checked against the teacher's config. The depths are the file's.
 */
export function teacherPromptsFromStateDict(
  tensors: ReadonlyMap<string, HostTensor>,
  cfg: ClipConfig,
  source = 'prompt file',
): TeacherPrompts {
  const problems: string[] = [];
  const ctx = tensors.get(TEACHER_PROMPT_NAMES.textCtx);
  const vpt = tensors.get(TEACHER_PROMPT_NAMES.visionShallow);
  if (!ctx || !vpt) {
    const missing = [!ctx && TEACHER_PROMPT_NAMES.textCtx, !vpt && TEACHER_PROMPT_NAMES.visionShallow].filter(Boolean).join(' and ');
    throw new TeacherPromptError(`${source}: '${missing}' missing: not PromptSRC/PromptKD teacher prompts (both towers need prompts)`);
  }
  const nCtx = ctx.shape[0] ?? 0;
  const check = (name: string, t: HostTensor, width: number, tower: string) => {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') problems.push(`'${name}' has dtype ${t.dtype}, expected float`);
    else if (t.shape.length !== 2) problems.push(`'${name}' has shape [${t.shape.join(',')}], expected [n_ctx, width]`);
    else if (t.shape[1] !== width) {
      problems.push(
        `'${name}' has width ${t.shape[1]} but the teacher's ${tower} width is ${width}: these prompts were made for another teacher`,
      );
    } else if (t.shape[0] !== nCtx)
      problems.push(`'${name}' has ${t.shape[0]} prompt tokens, '${TEACHER_PROMPT_NAMES.textCtx}' has ${nCtx}`);
  };
  check(TEACHER_PROMPT_NAMES.textCtx, ctx, cfg.text.width, 'text');
  check(TEACHER_PROMPT_NAMES.visionShallow, vpt, cfg.vision.width, 'vision');
  const deep = (pattern: RegExp, width: number, layers: number, tower: string): HostTensor[] => {
    const byBlock = new Map<number, [string, HostTensor]>();
    for (const [name, t] of tensors) {
      const m = pattern.exec(name);
      if (m) byBlock.set(Number(m[1]), [name, t]);
    }
    const blocks = [...byBlock.keys()].sort((a, b) => a - b);
    blocks.forEach((b, i) => {
      if (b !== i + 1)
        problems.push(`${tower} deep prompts must cover blocks 1…${blocks.length} without gaps, found blocks ${blocks.join(',')}`);
    });
    if (blocks.length > 0 && blocks[blocks.length - 1]! >= layers) {
      problems.push(
        `${tower} deep prompts reach block ${blocks[blocks.length - 1]} but the teacher's ${tower} tower has ${layers} blocks (0…${layers - 1})`,
      );
    }
    return blocks.map((b) => {
      const [name, t] = byBlock.get(b)!;
      check(name, t, width, tower);
      return t;
    });
  };
  const textDeep = deep(TEXT_DEEP, cfg.text.width, cfg.text.layers, 'text');
  const visionDeep = deep(VISION_DEEP, cfg.vision.width, cfg.vision.layers, 'vision');
  if (1 + nCtx + 2 > cfg.text.contextLength)
    problems.push(`n_ctx ${nCtx} leaves no room for a class name in ${cfg.text.contextLength} tokens`);
  if (problems.length > 0) throw new TeacherPromptError(`${source}: ${[...new Set(problems)].join('; ')}`);
  const f32 = (t: HostTensor) =>
    t.data instanceof Float32Array ? t : hostTensor('float32', t.shape, Float32Array.from(t.data as Float64Array));
  return { nCtx, textCtx: f32(ctx), textDeep: textDeep.map(f32), visionShallow: f32(vpt), visionDeep: visionDeep.map(f32) };
}

/** whether a state-dict name is one of the teacher's prompts (the rest of a checkpoint is never read) */
const isPromptName = (n: string) =>
  n === TEACHER_PROMPT_NAMES.textCtx || n === TEACHER_PROMPT_NAMES.visionShallow || TEXT_DEEP.test(n) || VISION_DEEP.test(n);

/**
 * Prompts from a safetensors file or a PyTorch checkpoint (PromptSRC/PromptKD's Dassl
 * `model-best.pth.tar`, `model.pth.tar-N`, or a plain `.pth` state dict), told apart by their first
 * bytes. Only the prompt tensors are read: a checkpoint's frozen CLIP weights stay on disk.
 */
export async function importTeacherPrompts(blob: Blob, cfg: ClipConfig, source = 'prompt file'): Promise<TeacherPrompts> {
  let tensors: Map<string, HostTensor>;
  if (looksLikeTorchCheckpoint(new Uint8Array(await blob.slice(0, 16).arrayBuffer()))) {
    try {
      const ckpt = await readTorchCheckpoint(blob);
      tensors = await ckpt.read([...ckpt.tensors.keys()].filter(isPromptName));
    } catch (e) {
      throw new TeacherPromptError(`${source}: not a readable PyTorch checkpoint (${(e as Error).message})`);
    }
  } else {
    try {
      const header = await readSafetensorsHeader(blob);
      const labels = misplacedLabels(header.metadata, source, 'teacher prompts');
      if (labels) throw new TeacherPromptError(labels);
      tensors = await loadSafetensors(blob, [...header.tensors.keys()].filter(isPromptName));
    } catch (e) {
      if (e instanceof TeacherPromptError) throw e;
      throw new TeacherPromptError(
        `${source}: not a readable safetensors file (${(e as Error).message}); ` +
          'prompt files are safetensors or PyTorch checkpoints (.pth, .pth.tar)',
      );
    }
  }
  return teacherPromptsFromStateDict(tensors, cfg, source);
}

/** FNV-1a, 32-bit, over byte chunks: a short fingerprint for cache keys (not cryptographic). */
export function fingerprint(chunks: Iterable<Uint8Array>): string {
  let h = 0x811c9dc5;
  for (const bytes of chunks) for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A short stable id of the prompt values (names and raw bytes, in name order), for cache keys. */
export function teacherPromptStateId(p: TeacherPrompts): string {
  const dict = teacherPromptStateDict(p);
  const chunks = Object.keys(dict)
    .sort()
    .flatMap((name) => {
      const d = dict[name]!.data;
      return [new TextEncoder().encode(name), new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
    });
  return `prompts-${p.nCtx}x${p.textDeep.length + 1}x${p.visionDeep.length + 1}-${fingerprint(chunks)}`;
}
