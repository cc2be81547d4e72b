// The two timed workloads, on any Runtime (onnxruntime-node, or onnxruntime-web's WASM / WebGPU in
// a page): the PromptKD student train step and the teacher's image-logits forward.
//
// Each is timed twice over: the warm-up (session creation, weight upload, first run: what a user
// waits for before the first number) and the steady state (the median of the next few runs).
// Every run reads its result back (loss or logits), so a timing covers the work, not just its launch.
// With `profile`, the session records onnxruntime's per-kernel times and the timing carries the
// last run's profile (profiling slows a run: time and profile in separate calls).
import { forwardAttentionOn, type AttentionKind } from '../src/engine/clip/transformer.ts';
import { halfPrecisionTower } from '../src/engine/clip/weights.ts';
import { topOneAgreement } from '../src/engine/promptkd/top-one.ts';
import { PAPER_CONFIG } from '../src/engine/promptkd/run-settings.ts';
import { StudentSession, type StudentSessionOptions } from '../src/engine/promptkd/session.ts';
import { initStudentState } from '../src/engine/promptkd/state.ts';
import { studentDims, type StudentHyper } from '../src/engine/promptkd/student.ts';
import { buildTeacherLogitsGraph, LOGITS, PIXELS, TEACHER_TEXT } from '../src/engine/promptkd/teacher-graphs.ts';
import { rng } from '../src/engine/random.ts';
import type { KernelProfile } from '../src/engine/runtime/profile.ts';
import type { DeviceTensor, Runtime } from '../src/engine/runtime/runtime.ts';
import { parseGeometry, randomTensor, randomVisionWeights, type GeometryJson } from './geometry.ts';

export interface Timing {
  batch: number;
  /** session creation + weight upload + first run */
  warmupMs: number;
  /** each steady-state run */
  runsMs: number[];
  medianMs: number;
  imagesPerSec: number;
  /** the last run's kernels (WorkloadOptions.profile) */
  profile?: KernelProfile;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timed(
  batch: number,
  steady: number,
  setup: () => Promise<() => Promise<unknown>>,
  profile?: () => Promise<KernelProfile>,
): Promise<Timing> {
  if (!(steady >= 1)) throw new Error(`a timing needs at least one steady-state run, got ${steady}`);
  const t0 = performance.now();
  const run = await setup();
  await run();
  const warmupMs = performance.now() - t0;
  const runsMs: number[] = [];
  for (let i = 0; i < steady; i++) {
    const t = performance.now();
    await run();
    runsMs.push(performance.now() - t);
  }
  const medianMs = median(runsMs);
  return { batch, warmupMs, runsMs, medianMs, imagesPerSec: (1000 * batch) / medianMs, ...(profile ? { profile: await profile() } : {}) };
}

/** PromptKD's student hyperparameters (paper settings; prompt depth capped by the tower's layers) */
export function studentHyper(layers: number, teacherDim: number, nClasses: number): StudentHyper {
  return { ...PAPER_CONFIG, depth: Math.min(PAPER_CONFIG.depth, layers), teacherDim, nClasses };
}

export interface WorkloadOptions {
  batch: number;
  /** steady-state runs after the warm-up */
  steady: number;
  /** profile the runs (onnxruntime-node only) */
  profile?: boolean;
  /** the image tower in float16: the teacher's, or the student's frozen one (RunSettings.studentFp16) */
  precision?: 'float32' | 'float16';
  /** replay the student step's captured GPU commands (onnxruntime-web's WebGPU; student step only) */
  graphCapture?: boolean;
  /** the teacher's attention (default: the studio's on this runtime), to measure what fusing saves (teacher logits only) */
  attention?: AttentionKind;
}

/** a StudentSession (as distillation runs it) on random weights, with random images [B,3,S,S] and teacher logits [B,C] to step on */
export async function benchStudent(
  rt: Runtime,
  geometry: GeometryJson,
  batch: number,
  opts: Pick<StudentSessionOptions, 'profile' | 'graphCapture'> & Pick<WorkloadOptions, 'precision'> = {},
) {
  const geo = parseGeometry(geometry);
  const { precision, ...sessionOpts } = opts;
  const fp32 = randomVisionWeights(geo.student, 1, 'student');
  const clip = precision === 'float16' ? halfPrecisionTower(fp32, 'vision') : fp32;
  const hyper = studentHyper(geo.student.vision.layers, geo.teacher.embedDim, geo.classes);
  const S = geo.student.vision.imageSize;
  const session = await StudentSession.create(rt, {
    clip,
    hyper,
    batch,
    evalBatch: batch,
    teacherText: randomTensor([geo.classes, hyper.teacherDim], 4), // [C,Dt]
    ...sessionOpts,
    initial: initStudentState(studentDims(clip, hyper), rng(5)),
  });
  const pixels = randomTensor([batch, 3, S, S], 2); //              [B,3,S,S]
  const teacherLogits = randomTensor([batch, geo.classes], 3); //    [B,C]
  // every tensor but logit_scale is a frozen input of the step
  const frozenBytes = [...clip.tensors].reduce((n, [name, t]) => n + (name === 'logit_scale' ? 0 : t.data.byteLength), 0);
  return { session, frozenBytes, step: () => session.step(pixels, teacherLogits, PAPER_CONFIG.lr) };
}

/** The student's train step (StudentSession, as distillation runs it) on random weights and images. */
export async function benchStudentStep(rt: Runtime, geometry: GeometryJson, o: WorkloadOptions): Promise<Timing> {
  let session: StudentSession | null = null;
  try {
    return await timed(
      o.batch,
      o.steady,
      async () => {
        const student = await benchStudent(rt, geometry, o.batch, {
          profile: o.profile ?? false,
          graphCapture: o.graphCapture ?? false,
          precision: o.precision ?? 'float32',
        });
        session = student.session;
        return student.step;
      },
      o.profile ? () => session!.endProfiling() : undefined,
    );
  } finally {
    await (session as StudentSession | null)?.release();
  }
}

/** the benchmark teacher's weights (float16 tower on request), images [B,3,S,S] and class features [C,E] */
function teacherInputs(geo: ReturnType<typeof parseGeometry>, batch: number, precision: 'float32' | 'float16') {
  const fp32 = randomVisionWeights(geo.teacher, 11, 'teacher');
  const S = geo.teacher.vision.imageSize;
  return {
    clip: precision === 'float16' ? halfPrecisionTower(fp32, 'vision') : fp32,
    pixels: randomTensor([batch, 3, S, S], 12),
    text: randomTensor([geo.classes, geo.teacher.embedDim], 13),
  };
}

/** The teacher's logits forward (the graph Teacher.logits runs) on random weights and images. */
export async function benchTeacherForward(rt: Runtime, geometry: GeometryJson, o: WorkloadOptions): Promise<Timing> {
  const geo = parseGeometry(geometry);
  const { clip, pixels, text } = teacherInputs(geo, o.batch, o.precision ?? 'float32');
  const art = buildTeacherLogitsGraph(clip, null, o.batch, geo.classes, o.attention ?? (await forwardAttentionOn(rt)));
  const uploaded: DeviceTensor[] = [];
  let release: (() => Promise<void>) | null = null;
  let endProfiling: (() => Promise<KernelProfile>) | undefined;
  try {
    return await timed(
      o.batch,
      o.steady,
      async () => {
        const session = await rt.load(art.graph, { profile: o.profile ?? false });
        release = () => session.release();
        if (o.profile) endProfiling = () => session.endProfiling();
        const feeds: Record<string, DeviceTensor> = {};
        for (const [name, t] of Object.entries(art.frozen)) {
          feeds[name] = await rt.upload(t);
          uploaded.push(feeds[name]);
        }
        return async () => {
          const out = await session.run({ ...feeds, [PIXELS]: pixels, [TEACHER_TEXT]: text });
          await out[LOGITS]!.read(); // [B,C]
          for (const t of Object.values(out)) t.dispose();
        };
      },
      o.profile ? () => endProfiling!() : undefined,
    );
  } finally {
    await (release as (() => Promise<void>) | null)?.();
    for (const t of uploaded) t.dispose();
  }
}

/** the float16 student's first-step loss against the float32 student's, from the same weights, prompts and images: |ratio − 1| */
export async function studentFp16LossError(rt: Runtime, geometry: GeometryJson, batch: number): Promise<number> {
  const lossOf = async (precision: 'float32' | 'float16') => {
    const { session, step } = await benchStudent(rt, geometry, batch, { precision });
    try {
      return (await step()).loss;
    } finally {
      await session.release();
    }
  };
  return Math.abs((await lossOf('float16')) / (await lossOf('float32')) - 1);
}

/** A teacher variant's logits (float16 tower, plain attention) against the studio's float32 teacher's on this runtime, on the benchmark's images. */
export async function teacherVariantError(
  rt: Runtime,
  geometry: GeometryJson,
  batch: number,
  variant: Pick<WorkloadOptions, 'precision' | 'attention'>,
): Promise<{ maxRelError: number; argmaxAgreement: number }> {
  const geo = parseGeometry(geometry);
  const logitsOf = async (v: Pick<WorkloadOptions, 'precision' | 'attention'>) => {
    const { clip, pixels, text } = teacherInputs(geo, batch, v.precision ?? 'float32');
    const art = buildTeacherLogitsGraph(clip, null, batch, geo.classes, v.attention ?? (await forwardAttentionOn(rt)));
    const session = await rt.load(art.graph);
    const feeds: Record<string, DeviceTensor> = {};
    try {
      for (const [name, t] of Object.entries(art.frozen)) feeds[name] = await rt.upload(t);
      const out = await session.run({ ...feeds, [PIXELS]: pixels, [TEACHER_TEXT]: text });
      return (await out[LOGITS]!.read()).data.slice() as Float32Array; // [B,C]
    } finally {
      await session.release();
      for (const t of Object.values(feeds)) t.dispose();
    }
  };
  const ref = await logitsOf({}),
    half = await logitsOf(variant);
  let err = 0,
    scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(half[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { maxRelError: err / scale, argmaxAgreement: topOneAgreement(ref, half, geo.classes) };
}
