// The teacher at distillation time: a CLIP, zero-shot or with PromptSRC prompts on both towers.
//
// Its class text features [C,E] (unit rows) are computed once per (teacher, prompt state, class
// list) and reused: they are the student's classifier and the teacher's own. Its logits for images
// are exp(logit_scale) · norm(image feature) @ textᵀ (100 · … for OpenAI CLIP), run in padded
// batches of a fixed size so that one session serves every call.
import { forwardAttentionOn } from '../clip/transformer.ts';
import { halfPrecisionTower, logitScaleOf, type ClipWeights } from '../clip/weights.ts';
import { GraphError } from '../graph/graph.ts';
import type { DeviceTensor, Runtime, Session } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import type { TeacherLogitsSource, ViewRef } from './teacher-cache.ts';
import {
  buildTeacherLogitsGraph,
  buildTeacherTextGraph,
  EOT,
  LOGITS,
  PIXELS,
  TEACHER_TEXT,
  TEXT_FEATURES,
  TOKEN_EMBEDS,
} from './teacher-graphs.ts';
import {
  fingerprint,
  planOfPrompts,
  teacherPromptStateDict,
  teacherPromptStateId,
  teacherPromptTemplate,
  type TeacherPromptPlan,
  type TeacherPrompts,
} from './teacher-prompts.ts';
import { classTextInputs, ZERO_SHOT_TEMPLATES } from './teacher-text.ts';

export interface TeacherOptions {
  /** prompts of both towers; null: zero-shot CLIP */
  prompts: TeacherPrompts | null;
  /**
   * zero-shot only: prompt templates ('{}' = class name); with several, the unit features are
   * averaged and normalised again. A prompted teacher uses PromptSRC's own prompt.
   */
  templates?: readonly string[];
  /** images per logits run; the last batch is padded (rows are independent). Default 8. */
  imageBatch?: number;
  /** names the teacher model in cache keys; default a fingerprint of the weights' shapes and projections */
  modelId?: string;
  /**
   * the image tower's precision for logits: float16 halves its memory and is faster on GPUs with
   * shader-f16 (and slow elsewhere); the text features stay float32. Default float32.
   */
  precision?: 'float32' | 'float16';
}

const bytesOf = (t: HostTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** a cheap id for weights: config sizes + a fingerprint of the (small) projections and logit scale */
export function defaultModelId(clip: ClipWeights): string {
  const c = clip.config;
  const parts = ['vision.proj', 'text.proj', 'logit_scale'].flatMap((n) => {
    const t = clip.tensors.get(n);
    return t ? [bytesOf(t)] : [];
  });
  return `clip-v${c.vision.width}x${c.vision.layers}p${c.vision.patchSize}-t${c.text.width}x${c.text.layers}-e${c.embedDim}-${fingerprint(parts)}`;
}

interface LogitSession {
  session: Session;
  frozen: Record<string, HostTensor>;
  /** images [B,3,S,S] and logits [B,C], made once (runtimes with Runtime.reuse) */
  reused: { pixels: DeviceTensor; logits: DeviceTensor } | null;
}

export class Teacher {
  readonly modelId: string;
  /** 'zero-shot-…' or the prompt values' id: part of every cache key */
  readonly promptState: string;
  /** exp(logit_scale) of the weights */
  readonly logitScale: number;
  readonly imageBatch: number;
  private readonly plan: TeacherPromptPlan | null;
  private readonly templates: readonly string[];
  /** frozen weights and prompts on the device, by graph-input name */
  private readonly uploaded = new Map<string, DeviceTensor>();
  private readonly textCache = new Map<string, HostTensor>();
  /**
   * by class count: the image batch is fixed and the text features are an input. Where the runtime
   * reuses tensors, each batch is written into `pixels` and run into `logits`, made once.
   */
  private readonly logitSessions = new Map<number, LogitSession>();
  /** text features on the device, by class list: uploaded once, fed to every logits run */
  private readonly uploadedText = new Map<string, DeviceTensor>();
  /** the weights the logits graphs use: `clip`, or its vision tower in float16 */
  private readonly imageClip: ClipWeights;

  private constructor(
    private readonly runtime: Runtime,
    private readonly clip: ClipWeights,
    private readonly opts: TeacherOptions,
  ) {
    const cfg = clip.config;
    this.imageClip = opts.precision === 'float16' ? halfPrecisionTower(clip, 'vision') : clip;
    this.plan = opts.prompts ? planOfPrompts(cfg, opts.prompts) : null;
    this.templates = opts.prompts ? [teacherPromptTemplate(opts.prompts.nCtx)] : (opts.templates ?? ZERO_SHOT_TEMPLATES);
    if (this.templates.length === 0) throw new GraphError('a zero-shot teacher needs at least one prompt template');
    this.imageBatch = opts.imageBatch ?? 8;
    if (!Number.isInteger(this.imageBatch) || this.imageBatch < 1)
      throw new GraphError(`teacher image batch must be a positive integer, got ${this.imageBatch}`);
    // float16 logits differ from float32 ones in the last digits: never share cached logits between them
    this.modelId = `${opts.modelId ?? defaultModelId(clip)}${opts.precision === 'float16' ? '@float16' : ''}`;
    this.promptState = opts.prompts
      ? teacherPromptStateId(opts.prompts)
      : `zero-shot-${this.templates.length}-${fingerprint(this.templates.map((t) => new TextEncoder().encode(`${t}\n`)))}`;
    this.logitScale = logitScaleOf(clip);
  }

  static async create(runtime: Runtime, clip: ClipWeights, opts: TeacherOptions): Promise<Teacher> {
    if (!clip.towers.has('text') || !clip.towers.has('vision')) {
      throw new GraphError('the teacher needs both CLIP towers loaded (text for the class features, vision for the logits)');
    }
    return new Teacher(runtime, clip, opts);
  }

  get prompted(): boolean {
    return this.plan !== null;
  }

  /** feeds for `session`: uploads what is missing once (frozen weights, prompts) */
  private async constantFeeds(session: Session, frozen: Record<string, HostTensor>): Promise<Record<string, DeviceTensor>> {
    const prompts = this.opts.prompts ? teacherPromptStateDict(this.opts.prompts) : {};
    const out: Record<string, DeviceTensor> = {};
    for (const name of session.inputNames) {
      const host = frozen[name] ?? prompts[name];
      if (!host) continue;
      let t = this.uploaded.get(name);
      if (!t) {
        t = await this.runtime.upload(host);
        this.uploaded.set(name, t);
      }
      out[name] = t;
    }
    return out;
  }

  /** Unit text features [C,E] of `classes` (label order), computed once per class list. */
  async textFeatures(classes: readonly string[]): Promise<HostTensor> {
    if (classes.length === 0) throw new GraphError('the teacher needs at least one class name');
    const key = JSON.stringify(classes);
    const hit = this.textCache.get(key);
    if (hit) return hit;
    const C = classes.length,
      E = this.clip.config.embedDim;
    const sum = new Float64Array(C * E);
    for (const template of this.templates) {
      const inputs = classTextInputs(this.clip, classes, template);
      const art = buildTeacherTextGraph(this.clip, this.plan, C, inputs.ids.shape[1]!);
      const session = await this.runtime.load(art.graph);
      try {
        const out = await session.run({
          ...(await this.constantFeeds(session, art.frozen)),
          [TOKEN_EMBEDS]: inputs.tokenEmbeds,
          [EOT]: inputs.eot,
        });
        const f = (await out[TEXT_FEATURES]!.read()).data as Float32Array;
        for (let i = 0; i < sum.length; i++) sum[i]! += f[i]!;
        for (const t of Object.values(out)) t.dispose();
      } finally {
        await session.release();
      }
    }
    this.releaseTextWeights();
    const features = new Float32Array(C * E);
    for (let c = 0; c < C; c++) {
      let n = 0;
      for (let j = 0; j < E; j++) n += sum[c * E + j]! ** 2;
      const inv = 1 / Math.sqrt(n);
      for (let j = 0; j < E; j++) features[c * E + j] = sum[c * E + j]! * inv;
    }
    const t = hostTensor('float32', [C, E], features);
    this.textCache.set(key, t);
    return t;
  }

  /**
   * Frees the text tower's uploaded weights once the features are made: on a GPU they are the
   * largest thing the teacher no longer needs (ViT-L/14's text tower is 0.5 GB). Another class list
   * uploads them again.
   */
  private releaseTextWeights(): void {
    const prefix = `${this.clip.prefix}.text.`;
    for (const [name, t] of this.uploaded) {
      if (!name.startsWith(prefix)) continue;
      t.dispose();
      this.uploaded.delete(name);
    }
  }

  private async logitSession(C: number): Promise<LogitSession> {
    let entry = this.logitSessions.get(C);
    if (!entry) {
      const art = buildTeacherLogitsGraph(this.imageClip, this.plan, this.imageBatch, C, await forwardAttentionOn(this.runtime));
      const reuse = this.runtime.reuse;
      const S = this.clip.config.vision.imageSize;
      entry = {
        session: await this.runtime.load(art.graph, { deviceOutputs: [LOGITS] }),
        frozen: art.frozen,
        reused: reuse
          ? { pixels: reuse.alloc('float32', [this.imageBatch, 3, S, S]), logits: reuse.alloc('float32', [this.imageBatch, C]) }
          : null,
      };
      this.logitSessions.set(C, entry);
    }
    return entry;
  }

  private async textOnDevice(classes: readonly string[]): Promise<DeviceTensor> {
    const key = JSON.stringify(classes);
    let t = this.uploadedText.get(key);
    if (!t) {
      t = await this.runtime.upload(await this.textFeatures(classes));
      this.uploadedText.set(key, t);
    }
    return t;
  }

  /** Teacher logits [N,C] for preprocessed images [N,3,S,S] against `classes`. */
  async logits(pixels: HostTensor, classes: readonly string[]): Promise<HostTensor> {
    const S = this.clip.config.vision.imageSize,
      B = this.imageBatch,
      per = 3 * S * S;
    const [N, ...chw] = pixels.shape;
    if (pixels.shape.length !== 4 || chw.join() !== [3, S, S].join() || pixels.dtype !== 'float32') {
      throw new GraphError(`teacher images are ${pixels.dtype}[${pixels.shape.join(',')}], the teacher takes float32[N,3,${S},${S}]`);
    }
    const text = await this.textOnDevice(classes);
    const C = classes.length;
    const { session, frozen, reused } = await this.logitSession(C);
    const constants = await this.constantFeeds(session, frozen);
    const out = new Float32Array(N! * C);
    for (let start = 0; start < N!; start += B) {
      const n = Math.min(B, N! - start);
      const chunk = new Float32Array(B * per);
      chunk.set((pixels.data as Float32Array).subarray(start * per, (start + n) * per));
      const batch = hostTensor('float32', [B, 3, S, S], chunk);
      if (reused) this.runtime.reuse!.write(reused.pixels, batch);
      const feeds = { ...constants, [PIXELS]: reused ? reused.pixels : batch, [TEACHER_TEXT]: text };
      const r = await session.run(feeds, reused ? { [LOGITS]: reused.logits } : undefined);
      out.set(((await r[LOGITS]!.read()).data as Float32Array).subarray(0, n * C), start * C);
      if (!reused) for (const t of Object.values(r)) t.dispose();
    }
    return hostTensor('float32', [N!, C], out);
  }

  /**
   * A source for the distillation's TeacherLogitCache; `pixelsOf` renders the views [M,3,S,S].
   * Its id names the class list too: the same image has other logits against other classes.
   */
  logitsSource<V extends ViewRef>(
    classes: readonly string[],
    pixelsOf: (views: readonly V[]) => Promise<HostTensor>,
  ): TeacherLogitsSource<V> {
    const classList = fingerprint(classes.map((c) => new TextEncoder().encode(`${c}\n`)));
    return {
      id: `${this.modelId}/classes-${classes.length}-${classList}`,
      promptState: this.promptState,
      nClasses: classes.length,
      run: async (views) => this.logits(await pixelsOf(views), classes),
    };
  }

  async release(): Promise<void> {
    for (const { session, reused } of this.logitSessions.values()) {
      await session.release();
      reused?.pixels.dispose();
      reused?.logits.dispose();
    }
    this.logitSessions.clear();
    for (const t of this.uploadedText.values()) t.dispose();
    this.uploadedText.clear();
    for (const t of this.uploaded.values()) t.dispose();
    this.uploaded.clear();
  }
}
