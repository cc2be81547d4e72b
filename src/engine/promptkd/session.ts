// A running student: the train and eval sessions over one runtime, with the frozen CLIP weights
// and the teacher text features uploaded once and the trainable state kept on the device between
// steps (each step's `.next` outputs become the next step's inputs). Only the loss, and whatever a
// caller asks for, is read back; where the runtime reuses tensors, a step makes none (StepTensors).
import { forwardAttentionOn } from '../clip/transformer.ts';
import type { ClipWeights } from '../clip/weights.ts';
import type { KernelProfile } from '../runtime/profile.ts';
import type { DeviceTensor, Runtime, Session } from '../runtime/runtime.ts';
import type { Graph } from '../graph/graph.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { momentumName, RUNNING_MEAN, RUNNING_VAR, trainableNames, type StudentState } from './state.ts';
import {
  buildStudentEval,
  buildStudentTrainStep,
  LOSS,
  LR,
  PIXELS,
  STUDENT_LOGITS,
  TEACHER_LOGITS,
  TEACHER_TEXT,
  type StudentHyper,
} from './student.ts';

export interface StudentSessionOptions {
  clip: ClipWeights;
  hyper: StudentHyper;
  /** train batch size (the train graph is built for it) */
  batch: number;
  /** eval batch size; the last eval batch is padded */
  evalBatch: number;
  /** teacher text features [C,Dt] of all classes, base then new */
  teacherText: HostTensor;
  initial: StudentState;
  /** also output `<name>.grad` from every step (fixture checks) */
  emitGradients?: boolean;
  /** record the train step's kernel times (onnxruntime-node; read with endProfiling) */
  profile?: boolean;
  /**
   * replay the train step's GPU commands after its first run (onnxruntime-web's WebGPU): its shapes
   * are static and every tensor it reads or writes is made once (StepTensors)
   */
  graphCapture?: boolean;
}

export interface StepResult {
  loss: number;
  /** the outputs asked for in `read`, on the host */
  outputs: Record<string, HostTensor>;
}

/**
 * Where a runtime can reuse tensors (Runtime.reuse), a step makes nothing: its inputs are written
 * into tensors made once, every output is run into a tensor made once, and the state alternates
 * between two sets (a run never writes a tensor it reads). Only the loss is read back.
 */
interface StepTensors {
  /** pixels, teacher logits and lr, written each step */
  inputs: Record<string, DeviceTensor>;
  /** the outputs that are not carried (loss, logits, grads), by output name */
  outputs: Record<string, DeviceTensor>;
  /** the other half of the state, by input name: the next step runs into it */
  spare: Record<string, DeviceTensor>;
  /** eval pixels [E,3,S,S] and logits [E,C] */
  evalPixels: DeviceTensor;
  evalLogits: DeviceTensor;
}

export class StudentSession {
  private constructor(
    private readonly runtime: Runtime,
    private readonly train: Session,
    private readonly evalSession: Session,
    /** frozen weights and teacher text: never disposed while the session lives */
    private readonly constants: Record<string, DeviceTensor>,
    /** params, momentum and running stats by input name */
    private current: Record<string, DeviceTensor>,
    private readonly carry: { from: string; to: string }[],
    private readonly tensors: StepTensors | null,
    private readonly opts: StudentSessionOptions,
  ) {}

  static async create(runtime: Runtime, opts: StudentSessionOptions): Promise<StudentSession> {
    const { clip, hyper } = opts;
    const C = hyper.nClasses,
      Dt = hyper.teacherDim;
    if (opts.teacherText.shape.join() !== [C, Dt].join()) {
      throw new Error(
        `teacher text features are [${opts.teacherText.shape.join(',')}] but the student expects [${C},${Dt}] (classes × teacher width)`,
      );
    }
    const trainArt = buildStudentTrainStep(clip, hyper, opts.batch, { emitGradients: opts.emitGradients ?? false });
    const evalArt = buildStudentEval(clip, hyper, opts.evalBatch, await forwardAttentionOn(runtime));
    // every output stays on the device: what the host needs (the loss) it reads itself
    const deviceOutputs = trainArt.graph.outputs.map((o) => o.name);
    if (opts.graphCapture && !runtime.reuse)
      throw new Error(`graph capture needs a runtime that reuses its tensors (onnxruntime-web's WebGPU), not ${runtime.backend}`);
    const train = await runtime.load(trainArt.graph, {
      deviceOutputs,
      profile: opts.profile ?? false,
      graphCapture: opts.graphCapture ?? false,
    });
    const evalSession = await runtime.load(evalArt.graph, { deviceOutputs: [STUDENT_LOGITS] });
    const constants: Record<string, DeviceTensor> = {};
    for (const [name, t] of Object.entries({ ...trainArt.frozen, ...evalArt.frozen, [TEACHER_TEXT]: opts.teacherText })) {
      constants[name] ??= await runtime.upload(t);
    }
    const reuse = runtime.reuse;
    const current: Record<string, DeviceTensor> = {};
    for (const [name, t] of Object.entries(stateFeeds(opts.initial, hyper.depth))) {
      // a reused set is written in place by later steps: never the caller's arrays (host runtimes upload by reference)
      current[name] = reuse ? reuse.alloc(t.dtype, t.shape) : await runtime.upload(t);
      reuse?.write(current[name], t);
    }
    let tensors: StepTensors | null = null;
    if (reuse) {
      const like = (g: Graph, name: string) => {
        const v = g.inputs.find((x) => x.name === name) ?? g.outputs.find((o) => o.name === name)!.value;
        return reuse.alloc(v.dtype, v.shape);
      };
      const carried = new Set(trainArt.carry.map((c) => c.from));
      tensors = {
        inputs: Object.fromEntries([PIXELS, TEACHER_LOGITS, LR].map((n) => [n, like(trainArt.graph, n)])),
        outputs: Object.fromEntries(train.outputNames.filter((n) => !carried.has(n)).map((n) => [n, like(trainArt.graph, n)])),
        spare: Object.fromEntries(trainArt.carry.map((c) => [c.to, like(trainArt.graph, c.to)])),
        evalPixels: like(evalArt.graph, PIXELS),
        evalLogits: like(evalArt.graph, STUDENT_LOGITS),
      };
    }
    return new StudentSession(runtime, train, evalSession, constants, current, trainArt.carry, tensors, opts);
  }

  /**
   * One SGD step on pixels [B,3,S,S] with teacher logits [B,C] at learning rate `lr`.
   * `read` names outputs to bring back (e.g. 'student_logits', '<name>.grad', '<name>.next').
   */
  async step(pixels: HostTensor, teacherLogits: HostTensor, lr: number, read: readonly string[] = []): Promise<StepResult> {
    const host: Record<string, HostTensor> = {
      [PIXELS]: pixels,
      [TEACHER_LOGITS]: teacherLogits,
      [LR]: hostTensor('float32', [], Float32Array.of(lr)),
    };
    const t = this.tensors;
    if (t) for (const [name, data] of Object.entries(host)) this.runtime.reuse!.write(t.inputs[name]!, data);
    const into = t ? { ...t.outputs, ...Object.fromEntries(this.carry.map((c) => [c.from, t.spare[c.to]!])) } : undefined;
    const batch: Record<string, HostTensor | DeviceTensor> = t ? t.inputs : host;
    const out = await this.train.run(pick(this.train, { ...this.constants, ...this.current, ...batch }), into);
    const loss = Number((await out[LOSS]!.read()).data[0]);
    const outputs: Record<string, HostTensor> = {};
    for (const name of read) {
      const o = out[name];
      if (!o) throw new Error(`the student train step has no output '${name}'`);
      outputs[name] = copy(await o.read());
    }
    if (t && this.opts.graphCapture) {
      // a captured step reads and writes the same buffers every time: the new state is copied over the old
      this.runtime.reuse!.copy(this.carry.map((c) => [out[c.from]!, this.current[c.to]!] as const));
    } else if (t) {
      // the state just written becomes current; the old current is what the next step runs into
      const old = this.current;
      this.current = Object.fromEntries(this.carry.map((c) => [c.to, out[c.from]!]));
      t.spare = old;
    } else {
      const carried = new Set(this.carry.map((c) => c.from));
      for (const { from, to } of this.carry) {
        this.current[to]!.dispose();
        this.current[to] = out[from]!;
      }
      for (const [name, o] of Object.entries(out)) if (!carried.has(name)) o.dispose();
    }
    if (!Number.isFinite(loss)) throw new Error(`the distillation loss became ${loss}; lower the learning rate or the KD weight`);
    return { loss, outputs };
  }

  /** Student logits [N,C] of pixels [N,3,S,S] with BatchNorm in eval mode. */
  async evaluate(pixels: HostTensor): Promise<HostTensor> {
    const [N, ...chw] = pixels.shape as number[];
    const E = this.opts.evalBatch,
      C = this.opts.hyper.nClasses,
      per = chw.reduce((a, b) => a * b, 1);
    const logits = new Float32Array(N! * C);
    const t = this.tensors;
    for (let start = 0; start < N!; start += E) {
      const n = Math.min(E, N! - start);
      // BatchNorm uses running stats here, so zero padding cannot change the real rows
      const chunk = new Float32Array(E * per);
      chunk.set((pixels.data as Float32Array).subarray(start * per, (start + n) * per));
      const batch = hostTensor('float32', [E, ...chw], chunk);
      if (t) this.runtime.reuse!.write(t.evalPixels, batch);
      const feeds = { ...this.constants, ...this.current, [PIXELS]: t ? t.evalPixels : batch };
      const out = await this.evalSession.run(pick(this.evalSession, feeds), t ? { [STUDENT_LOGITS]: t.evalLogits } : undefined);
      const host = await out[STUDENT_LOGITS]!.read();
      logits.set((host.data as Float32Array).subarray(0, n * C), start * C);
      if (!t) for (const o of Object.values(out)) o.dispose();
    }
    return hostTensor('float32', [N!, C], logits);
  }

  /** per-kernel times of the last step (a session created with `profile`) */
  endProfiling(): Promise<KernelProfile> {
    return this.train.endProfiling();
  }

  /** true when every param, momentum buffer and running stat lives on the device (a GPU buffer) */
  get stateOnDevice(): boolean {
    return Object.values(this.current).every((t) => t.onDevice);
  }

  /** A host copy of params, momentum and running stats (for checkpoints). */
  async state(): Promise<StudentState> {
    const read = async (name: string) => copy(await this.current[name]!.read());
    const names = trainableNames(this.opts.hyper.depth);
    const params = new Map<string, HostTensor>(),
      momentum = new Map<string, HostTensor>();
    for (const n of names) {
      params.set(n, await read(n));
      momentum.set(n, await read(momentumName(n)));
    }
    return { params, momentum, runningMean: await read(RUNNING_MEAN), runningVar: await read(RUNNING_VAR) };
  }

  async release(): Promise<void> {
    await this.train.release();
    await this.evalSession.release();
    const t = this.tensors;
    const owned = t ? [t.inputs, t.outputs, t.spare, { p: t.evalPixels, l: t.evalLogits }] : [];
    for (const set of [this.current, this.constants, ...owned]) for (const x of Object.values(set)) x.dispose();
    this.current = {};
  }
}

/** the train graph's input names for a host state */
export function stateFeeds(s: StudentState, depth: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const n of trainableNames(depth)) {
    const p = s.params.get(n),
      m = s.momentum.get(n);
    if (!p || !m) throw new Error(`student state lacks '${n}'${p ? ' momentum' : ''}`);
    feeds[n] = p;
    feeds[momentumName(n)] = m;
  }
  feeds[RUNNING_MEAN] = s.runningMean;
  feeds[RUNNING_VAR] = s.runningVar;
  return feeds;
}

/** the feeds a session takes (the train and eval graphs share most inputs, not all) */
function pick<T>(session: Session, feeds: Record<string, T>): Record<string, T> {
  return Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!]));
}

/** outputs may alias buffers the runtime reuses or frees: keep our own copy */
const copy = (t: HostTensor): HostTensor => hostTensor(t.dtype, t.shape, t.data.slice());
