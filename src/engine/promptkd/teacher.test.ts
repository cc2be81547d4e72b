import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseClipConfig } from '../clip/config.ts';
import { loadSafetensors } from '../clip/safetensors.ts';
import { randomData, referenceImageEmbeds, referenceTextEmbeds } from '../clip/random-clip.testkit.ts';
import { tokenize } from '../clip/tokenizer.ts';
import { loadClipWeights } from '../clip/weights.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { TeacherLogitCache } from './teacher-cache.ts';
import { planTeacherPrompts, type TeacherPrompts } from './teacher-prompts.ts';
import { ENSEMBLE_TEMPLATES, promptClassName } from './teacher-text.ts';
import { Teacher } from './teacher.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';
const cfg = parseClipConfig(JSON.parse(fs.readFileSync(`${FIXTURE}/config.json`, 'utf8')));
const src = await loadSafetensors(await fs.openAsBlob(`${FIXTURE}/model.safetensors`));
const clip = loadClipWeights(src, cfg);
const rt = createNodeRuntime();
const E = cfg.embedDim,
  S = cfg.vision.imageSize;
const CLASSES = ['golden_retriever', 'cat', 'sea turtle', 'aircraft carrier', 'red fox'];

const classPrompt = (template: string, c: string) => template.replace('{}', promptClassName(c));

/** unit rows of a [N,E] float64 matrix */
function unitRows(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array(m.length);
  for (let i = 0; i < n; i++) {
    const row = m.subarray(i * E, (i + 1) * E);
    const inv = 1 / Math.hypot(...row);
    row.forEach((v, j) => {
      out[i * E + j] = v * inv;
    });
  }
  return out;
}

/** reference text features (full 77 positions, no cut) for prompts, with optional IVLP prompts */
function referenceText(texts: string[], prompts?: TeacherPrompts): Float64Array {
  const { ids, eot } = tokenize(texts, cfg.text.contextLength);
  const ref = referenceTextEmbeds(
    src,
    cfg,
    ids.data as Int32Array,
    texts.length,
    cfg.text.contextLength,
    eot,
    prompts && {
      ctx: prompts.textCtx.data as Float32Array,
      deep: prompts.textDeep.map((t) => t.data as Float32Array),
      nCtx: prompts.nCtx,
    },
  );
  return unitRows(ref, texts.length);
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0,
    m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
};

/** random prompts at the scale of the token embeddings, so that replacing a token changes the output */
function randomPrompts(nCtx: number, depth: number, seed: number): TeacherPrompts {
  const plan = planTeacherPrompts(cfg, { nCtx, depth });
  const t = (w: number, s: number) => hostTensor('float32', [nCtx, w], randomData(nCtx * w, s, 0.5));
  return {
    nCtx,
    textCtx: t(cfg.text.width, seed),
    textDeep: Array.from({ length: plan.textDepth - 1 }, (_, i) => t(cfg.text.width, seed + 10 + i)),
    visionShallow: t(cfg.vision.width, seed + 20),
    visionDeep: Array.from({ length: plan.visionDepth - 1 }, (_, i) => t(cfg.vision.width, seed + 30 + i)),
  };
}

const teachers: Teacher[] = [];
async function teacher(
  prompts: TeacherPrompts | null,
  templates?: readonly string[],
  imageBatch = 2,
  precision?: 'float16',
): Promise<Teacher> {
  const t = await Teacher.create(rt, clip, {
    prompts,
    ...(templates ? { templates } : {}),
    imageBatch,
    ...(precision ? { precision } : {}),
  });
  teachers.push(t);
  return t;
}
afterAll(async () => {
  for (const t of teachers) await t.release();
});

describe('teacher text features', () => {
  it('zero-shot: "a photo of a {class}." through the text tower, cut after the end token, unit rows', async () => {
    const t = await teacher(null);
    const ours = await t.textFeatures(CLASSES);
    expect(ours.shape).toEqual([CLASSES.length, E]);
    const ref = referenceText(CLASSES.map((c) => classPrompt('a photo of a {}.', c)));
    expect(maxRel(ours.data as Float32Array, ref)).toBeLessThan(1e-5);
    expect(classPrompt('a photo of a {}.', 'golden_retriever')).toBe('a photo of a golden retriever.');
  });

  it('zero-shot ensemble: unit features averaged over templates and normalised again', async () => {
    const t = await teacher(null, ENSEMBLE_TEMPLATES);
    const ours = await t.textFeatures(CLASSES);
    const sum = new Float64Array(CLASSES.length * E);
    for (const tpl of ENSEMBLE_TEMPLATES)
      referenceText(CLASSES.map((c) => classPrompt(tpl, c))).forEach((v, i) => {
        sum[i]! += v;
      });
    expect(maxRel(ours.data as Float32Array, unitRows(sum, CLASSES.length))).toBeLessThan(1e-5);
  });

  it('prompted: ctx replaces the tokens after the start token, deep prompts replace them again at blocks 1…depth−1', async () => {
    const prompts = randomPrompts(4, 9, 1);
    expect(prompts.textDeep.length).toBe(cfg.text.layers - 1); // depth 9 clamped: the deep hook is exercised
    const t = await teacher(prompts);
    const ours = await t.textFeatures(CLASSES);
    const ref = referenceText(
      CLASSES.map((c) => classPrompt('a photo of a {}.', c)),
      prompts,
    );
    expect(maxRel(ours.data as Float32Array, ref)).toBeLessThan(1e-5);
    // the prompts matter: the zero-shot features differ
    const zs = referenceText(CLASSES.map((c) => classPrompt('a photo of a {}.', c)));
    expect(maxRel(ours.data as Float32Array, zs)).toBeGreaterThan(0.05);
  });

  it("frees the text tower's uploaded weights once the features are made, and uploads them again for another class list", async () => {
    // the runtime's uploads, alive until disposed
    const live = new Set<object>();
    const counting: Runtime = {
      ...rt,
      upload: async (t) => {
        const d = await rt.upload(t);
        const dispose = d.dispose.bind(d);
        live.add(d);
        d.dispose = () => {
          live.delete(d);
          dispose();
        };
        return d;
      },
    };
    const t = await Teacher.create(counting, clip, { prompts: null, imageBatch: 2 });
    teachers.push(t);
    const first = await t.textFeatures(CLASSES);
    expect(live.size).toBe(0);
    await t.logits(hostTensor('float32', [1, 3, S, S], randomData(3 * S * S, 9)), CLASSES);
    const vision = live.size; // the image tower's weights stay for the next batch
    expect(vision).toBeGreaterThan(0);
    const other = await t.textFeatures(CLASSES.slice(0, 3));
    expect(live.size).toBe(vision);
    expect(Array.from(other.data as Float32Array)).toEqual(Array.from((first.data as Float32Array).slice(0, 3 * E)));
  });

  it('caches per class list: the same array comes back', async () => {
    const t = await teacher(null);
    const a = await t.textFeatures(CLASSES);
    expect(await t.textFeatures(CLASSES)).toBe(a);
    expect(await t.textFeatures(CLASSES.slice(0, 2))).not.toBe(a);
  });
});

describe('teacher logits', () => {
  const N = 5;
  const pixels = hostTensor('float32', [N, 3, S, S], randomData(N * 3 * S * S, 5));

  /** the float64 reference of the prompted teacher's logits [N,C] */
  function referenceLogits(prompts: TeacherPrompts): Float64Array {
    const img = unitRows(
      referenceImageEmbeds(src, cfg, pixels.data as Float32Array, N, {
        shallow: prompts.visionShallow.data as Float32Array,
        deep: prompts.visionDeep.map((d) => d.data as Float32Array),
        nCtx: 2,
      }),
      N,
    );
    const text = referenceText(
      CLASSES.map((c) => classPrompt('a photo of a {}.', c)),
      prompts,
    );
    const scale = Math.exp(Number(src.get('logit_scale')!.data[0]));
    const ref = new Float64Array(N * CLASSES.length);
    for (let i = 0; i < N; i++)
      for (let c = 0; c < CLASSES.length; c++) {
        let s = 0;
        for (let j = 0; j < E; j++) s += img[i * E + j]! * text[c * E + j]!;
        ref[i * CLASSES.length + c] = scale * s;
      }
    return ref;
  }

  it('prompted: exp(logit_scale)·norm(prompted image)@textᵀ, in padded batches', async () => {
    const prompts = randomPrompts(2, 3, 7);
    const t = await teacher(prompts, undefined, 2); // 5 images → batches of 2, 2, 1+pad
    const logits = await t.logits(pixels, CLASSES);
    expect(logits.shape).toEqual([N, CLASSES.length]);
    expect(maxRel(logits.data as Float32Array, referenceLogits(prompts))).toBeLessThan(1e-5);
  });

  it('float16 image tower: the same logits to within half precision, under another cache id', async () => {
    const prompts = randomPrompts(2, 3, 7);
    const t = await teacher(prompts, undefined, 2, 'float16');
    const logits = await t.logits(pixels, CLASSES);
    // binary16 keeps 11 significant bits (unit roundoff 4.9e-4); through three blocks the error stays
    // within a few of them, far above float32's 1e-5 and far below a changed answer
    const err = maxRel(logits.data as Float32Array, referenceLogits(prompts));
    console.log(`float16 teacher logits vs float64: ${err.toExponential(2)}`);
    expect(err).toBeGreaterThan(1e-5);
    expect(err).toBeLessThan(1e-2);
    const fp32 = await teacher(prompts);
    expect(t.modelId).toBe(`${fp32.modelId}@float16`);
  });

  it('plugs into the teacher logit cache, keyed by model and prompt state', async () => {
    const zs = await teacher(null);
    const tuned = await teacher(randomPrompts(2, 3, 9));
    expect(zs.promptState).toMatch(/^zero-shot-1-/);
    expect(tuned.promptState).toMatch(/^prompts-2x2x3-/);
    const rows = (views: readonly { imageId: string }[]): Promise<HostTensor> => {
      const per = 3 * S * S,
        out = new Float32Array(views.length * per);
      views.forEach((v, i) => {
        out.set((pixels.data as Float32Array).subarray(Number(v.imageId) * per, (Number(v.imageId) + 1) * per), i * per);
      });
      return Promise.resolve(hostTensor('float32', [views.length, 3, S, S], out));
    };
    const cache = new TeacherLogitCache();
    const views = [0, 1, 2].map((i) => ({ imageId: String(i), viewId: 'center' }));
    const a = await cache.logits(zs.logitsSource(CLASSES, rows), views);
    const b = await cache.logits(tuned.logitsSource(CLASSES, rows), views);
    expect(cache.teacherViews).toBe(6); // a new prompt state is never a stale hit
    await cache.logits(zs.logitsSource(CLASSES, rows), views);
    expect(cache.teacherViews).toBe(6);
    const direct = await zs.logits(hostTensor('float32', [3, 3, S, S], (pixels.data as Float32Array).slice(0, 3 * 3 * S * S)), CLASSES);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(direct.data as Float32Array));
    expect(maxRel(a.data as Float32Array, b.data as Float32Array)).toBeGreaterThan(1e-3);
    // another class list is another source, never a stale hit
    await cache.logits(zs.logitsSource(CLASSES.slice(1), rows), views);
    expect(cache.teacherViews).toBe(9);
  });

  it('names the expected image shape', async () => {
    const t = await teacher(null);
    await expect(t.logits(hostTensor('float32', [1, 3, S + 1, S + 1]), CLASSES)).rejects.toThrow(
      `the teacher takes float32[N,3,${S},${S}]`,
    );
  });
});
