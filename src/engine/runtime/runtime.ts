// The runtime: the only layer that talks to onnxruntime. One API over onnxruntime-node (cpu, webgpu,
// cuda) and onnxruntime-web (webgpu, wasm); the two packages share onnxruntime-common's API, so the
// core below is written once against that and node.ts / web.ts only say how to start it.
//
// Ownership: a device tensor that a session outputs belongs to that session. Releasing the session
// disposes the ones still alive (onnxruntime-node frees their GPU memory with the session, and a
// later touch would crash the process), so release a session only after its outputs are done with.
import type * as Ort from 'onnxruntime-web';
import { fmtShape, Graph, sizeOf, type DType, type Shape } from '../graph/graph.ts';
import { toOnnx } from '../graph/onnx.ts';
import type { KernelProfile } from './profile.ts';
import { JobQueue } from './queue.ts';
import { allocate, type HostTensor } from '../graph/tensor.ts';

export type BackendName = 'webgpu' | 'wasm' | 'cpu' | 'cuda';
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor'>;
type OrtTensor = Ort.Tensor;

/** A tensor owned by the runtime: a GPU buffer on webgpu (when asked for), host memory elsewhere. */
export interface DeviceTensor {
  readonly dtype: DType;
  readonly shape: Shape;
  /** true when the data lives in a GPU buffer and never crossed to the host */
  readonly onDevice: boolean;
  read(): Promise<HostTensor>;
  dispose(): void;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Every input must be fed; returns every output. `into` names outputs to write into tensors made
   * by the runtime's `alloc` (the caller's, returned as given): a run that writes every output into
   * such a tensor makes no buffer of its own for them.
   */
  run(feeds: Record<string, HostTensor | DeviceTensor>, into?: Record<string, DeviceTensor>): Promise<Record<string, DeviceTensor>>;
  /** per-kernel times of the last run (sessions loaded with `profile`); profiling stops here */
  endProfiling(): Promise<KernelProfile>;
  release(): Promise<void>;
}

export interface LoadOptions {
  /** outputs to keep on the device (webgpu only; elsewhere they are host tensors anyway) */
  deviceOutputs?: readonly string[];
  /** record kernel times with onnxruntime's profiler (onnxruntime-node only) */
  profile?: boolean;
  /**
   * capture the first run's GPU commands and replay them after (onnxruntime-web's WebGPU only): every
   * input must be a tensor of this runtime and every output run `into` one, the same ones each run
   */
  graphCapture?: boolean;
}

/** onnxruntime-web's two WebGPU backends: 'native' (`onnxruntime-web/webgpu`, the C++ EP) and 'jsep' (JS kernels) */
export type OrtWebEntry = 'native' | 'jsep';

/** which onnxruntime-web WebGPU backend a runtime computes on, and why the ones before it in line were not taken */
export interface EpChoice {
  entry: OrtWebEntry;
  /** tried first, in order, each with the reason it failed */
  skipped: { entry: OrtWebEntry; reason: string }[];
  /** one line for a page: which backend and why ('JSEP (native WebGPU EP failed: …)') */
  summary: string;
}

export interface Runtime {
  readonly backend: BackendName;
  /** the WebGPU backend of an onnxruntime-web runtime (absent elsewhere) */
  readonly ep?: EpChoice;
  /** resolves once the device has finished the work submitted so far, or is lost (GPU runtimes) */
  settle?(): Promise<void>;
  /** compile a graph (preferred: feeds are checked against its signature) or raw ONNX bytes */
  load(model: Graph | Uint8Array, options?: LoadOptions): Promise<Session>;
  /** copy a host tensor to the device once, for frozen weights and initial parameters */
  upload(t: HostTensor): Promise<DeviceTensor>;
  /**
   * Where a runtime can reuse its tensors between runs (onnxruntime-web's WebGPU, onnxruntime-node's CPU):
   * `alloc` makes a tensor (contents undefined) to feed or to run into, `write` overwrites one made by
   * alloc or upload with host data of its dtype and shape, in place (on WebGPU, a queue write into the
   * same buffer). Absent on onnxruntime-node's WebGPU and CUDA, which cannot write a device tensor, and
   * on onnxruntime-web's WASM, which does not write host outputs it is given.
   */
  reuse?: {
    alloc(dtype: DType, shape: Shape): DeviceTensor;
    write(target: DeviceTensor, data: HostTensor): void;
    /** copies each `from` into its `to` (same dtype and shape) on the device, in one submission */
    copy(pairs: readonly (readonly [from: DeviceTensor, to: DeviceTensor])[]): void;
  };
}

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** copies a GPU-buffer tensor to the host and leaves it where it is (ORT's getData would move it) */
export type DeviceReader = (t: OrtTensor) => Promise<HostTensor['data']>;

export class OrtDeviceTensor implements DeviceTensor {
  private disposed = false;
  /** @param onDispose tells the owning session that this output is gone */
  constructor(
    private readonly ortTensor: OrtTensor,
    private readonly reader?: DeviceReader,
    private readonly onDispose?: () => void,
  ) {}
  /** read from onnxruntime itself, so it is the truth about where the data is */
  get onDevice(): boolean {
    return this.ortTensor.location === 'gpu-buffer';
  }
  get dtype(): DType {
    return this.ortTensor.type as DType;
  }
  get shape(): Shape {
    return this.ortTensor.dims;
  }
  /** the onnxruntime tensor, for feeds; refused once disposed (a freed GPU buffer must never reach a kernel) */
  get tensor(): OrtTensor {
    if (this.disposed)
      throw new RuntimeError(`a ${this.dtype}${fmtShape(this.shape)} tensor was used after it was disposed (or its session released)`);
    return this.ortTensor;
  }
  async read(): Promise<HostTensor> {
    const t = this.tensor;
    if (this.onDevice && !this.reader) throw new RuntimeError('this runtime cannot read device tensors back');
    const data = this.onDevice ? await this.reader!(t) : (t.data as HostTensor['data']);
    return { dtype: this.dtype, shape: [...this.shape], data };
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ortTensor.dispose();
    this.onDispose?.();
  }
}

const isDevice = (t: HostTensor | DeviceTensor): t is OrtDeviceTensor => t instanceof OrtDeviceTensor;

interface Signature {
  name: string;
  dtype: DType;
  shape: Shape;
}

function checkFeeds(sig: readonly Signature[], feeds: Record<string, HostTensor | DeviceTensor>): void {
  const known = new Set(sig.map((s) => s.name));
  const extra = Object.keys(feeds).filter((k) => !known.has(k));
  if (extra.length)
    throw new RuntimeError(`unknown input(s) ${extra.map((e) => `'${e}'`).join(', ')}; the model takes ${[...known].join(', ')}`);
  for (const s of sig) {
    const t = feeds[s.name];
    if (!t) throw new RuntimeError(`input '${s.name}' (${s.dtype}${fmtShape(s.shape)}) was not fed`);
    if (t.dtype !== s.dtype || t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new RuntimeError(`input '${s.name}' expects ${s.dtype}${fmtShape(s.shape)}, got ${t.dtype}${fmtShape(t.shape)}`);
    }
  }
}

export interface CoreOptions {
  backend: BackendName;
  ort: OrtModule;
  sessionOptions: Ort.InferenceSession.SessionOptions;
  upload(t: HostTensor): Promise<DeviceTensor>;
  reuse?: Runtime['reuse'];
  /** reads device outputs back (webgpu) */
  readDevice?: DeviceReader;
  /**
   * runs one session run and throws when the device rejected any of its work (WebGPU reports
   * validation errors only to an error scope or as an event: the kernel itself leaves zeros behind);
   * the outputs of a rejected run are disposed
   */
  guardRun?: (run: () => Promise<Record<string, OrtTensor>>) => Promise<Record<string, OrtTensor>>;
  /** onnxruntime's profiler writes files: only runtimes with a file system have one */
  profiler?: Profiler;
  /** the EP can capture and replay a session's GPU commands (LoadOptions.graphCapture) */
  graphCapture?: boolean;
}

/** where a profiled session writes its trace, and how it is read back (and cleaned up) */
export interface Profiler {
  start(): { prefix: string; finish(): Promise<KernelProfile> };
}

export function createRuntime(core: CoreOptions): Runtime {
  const queue = new JobQueue();
  const toOrt = (t: HostTensor | DeviceTensor): OrtTensor =>
    isDevice(t) ? t.tensor : new core.ort.Tensor(t.dtype, (t as HostTensor).data as never, [...t.shape]);

  return {
    backend: core.backend,
    upload: (t) => core.upload(t),
    ...(core.reuse ? { reuse: core.reuse } : {}),
    async load(model, options = {}) {
      const signature = model instanceof Graph ? model.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })) : null;
      const bytes = model instanceof Graph ? toOnnx(model) : model;
      const onGpu = core.backend === 'webgpu' ? new Set(options.deviceOutputs ?? []) : new Set<string>();
      if (options.profile && !core.profiler)
        throw new RuntimeError(`profiling needs onnxruntime-node (this runtime is ${core.backend} in a browser)`);
      if (options.graphCapture && !core.graphCapture)
        throw new RuntimeError(`graph capture needs onnxruntime-web's WebGPU EP (this runtime is ${core.backend})`);
      const profiling = options.profile ? core.profiler!.start() : null;
      const sessionOptions = {
        ...core.sessionOptions,
        ...(profiling ? { enableProfiling: true, profileFilePrefix: profiling.prefix } : {}),
        ...(options.graphCapture ? { enableGraphCapture: true } : {}),
      };
      const session = await queue.enqueue(async () => {
        try {
          if (onGpu.size === 0) return await core.ort.InferenceSession.create(bytes, sessionOptions);
          // output locations can only be set at creation, and the names are known only after it
          const probe = await core.ort.InferenceSession.create(bytes, core.sessionOptions);
          const locations = Object.fromEntries(probe.outputNames.map((n) => [n, onGpu.has(n) ? 'gpu-buffer' : 'cpu'] as const));
          await probe.release();
          return await core.ort.InferenceSession.create(bytes, { ...sessionOptions, preferredOutputLocation: locations });
        } catch (e) {
          throw new RuntimeError(
            `could not create a ${core.backend} session${model instanceof Graph ? ` for '${model.name}'` : ''}: ${(e as Error).message}`,
          );
        }
      });
      /** device outputs not yet disposed: they die with the session */
      const live = new Set<OrtDeviceTensor>();
      const own = (t: OrtTensor): OrtDeviceTensor => {
        if (t.location !== 'gpu-buffer') return new OrtDeviceTensor(t);
        const owned: OrtDeviceTensor = new OrtDeviceTensor(t, core.readDevice, () => live.delete(owned));
        live.add(owned);
        return owned;
      };
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds, into = {}) =>
          queue.enqueue(async () => {
            if (signature) checkFeeds(signature, feeds);
            const unknown = Object.keys(into).filter((k) => !session.outputNames.includes(k));
            if (unknown.length)
              throw new RuntimeError(`cannot run into ${unknown.join(', ')}: the model outputs ${session.outputNames.join(', ')}`);
            const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toOrt(t)]));
            // null: onnxruntime allocates the output
            const fetches = Object.fromEntries(session.outputNames.map((n) => [n, into[n] ? toOrt(into[n]) : null]));
            const runOnce = () => session.run(ortFeeds, fetches);
            const out = core.guardRun ? await core.guardRun(runOnce) : await runOnce();
            for (const [k, t] of Object.entries(into)) landIn(k, out[k]!, ownTensor(t).tensor);
            return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, into[k] ?? own(t)]));
          }),
        endProfiling: () =>
          queue.enqueue(async () => {
            if (!profiling) throw new RuntimeError('this session was loaded without { profile: true }');
            session.endProfiling();
            return profiling.finish();
          }),
        release: () =>
          queue.enqueue(async () => {
            for (const t of [...live]) t.dispose();
            await session.release();
          }),
      };
    },
  };
}

/**
 * Makes sure output `name` is in `target`, the tensor it was run into. onnxruntime-node writes a host
 * output in place but hands back another Tensor (the data lands here if it is not the same), and a GPU
 * buffer must have been written where it is: a new one would mean the run made a buffer after all.
 */
function landIn(name: string, got: OrtTensor, target: OrtTensor): void {
  if (got === target) return;
  if (target.location === 'gpu-buffer') {
    if (got.location !== 'gpu-buffer' || got.gpuBuffer !== target.gpuBuffer)
      throw new RuntimeError(`onnxruntime did not run output '${name}' into the GPU buffer it was given`);
    return;
  }
  const data = target.data as HostTensor['data'];
  if (got.data !== data) data.set(got.data as never);
}

/** host-memory "upload" for cpu and wasm: the tensor just wraps the host array */
export function hostUpload(ort: OrtModule) {
  return async (t: HostTensor): Promise<DeviceTensor> => new OrtDeviceTensor(new ort.Tensor(t.dtype, t.data as never, [...t.shape]));
}

/** a tensor made by a runtime's alloc or upload (and, given `data`, of its dtype and shape), refused otherwise with what was passed */
export function ownTensor(t: DeviceTensor, data?: { dtype: DType; shape: Shape }): OrtDeviceTensor {
  if (!isDevice(t)) throw new RuntimeError(`${t.dtype}${fmtShape(t.shape)}: not a tensor of this runtime (make it with alloc or upload)`);
  if (data && (data.dtype !== t.dtype || fmtShape(data.shape) !== fmtShape(t.shape)))
    throw new RuntimeError(`cannot write ${data.dtype}${fmtShape(data.shape)} into a ${t.dtype}${fmtShape(t.shape)} tensor`);
  return t;
}

/** host-memory reuse for cpu and wasm: tensors are host arrays, written in place */
export function hostReuse(ort: OrtModule): NonNullable<Runtime['reuse']> {
  return {
    alloc: (dtype, shape) => new OrtDeviceTensor(new ort.Tensor(dtype, allocate(dtype, sizeOf(shape)) as never, [...shape])),
    write(target, data) {
      (ownTensor(target, data).tensor.data as HostTensor['data']).set(data.data as never);
    },
    copy(pairs) {
      for (const [from, to] of pairs) (ownTensor(to, from).tensor.data as HostTensor['data']).set(ownTensor(from).tensor.data as never);
    },
  };
}
