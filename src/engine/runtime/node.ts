// onnxruntime-node: the CLI's, the bench's and the unit tests' backends.
//   cpu     onnxruntime's CPU kernels (the default)
//   webgpu  onnxruntime's native WebGPU EP (Dawn, bundled in onnxruntime-node's linux-x64, macOS and
//           Windows builds): Vulkan on Linux, Metal on macOS, D3D12 on Windows
//   cuda    onnxruntime's CUDA EP, where its provider libraries are installed
//
// On webgpu, frozen weights and training state live in GPU buffers between runs, as in the browser.
// onnxruntime-node cannot write or read a GPU buffer directly (its tensors' download is not
// implemented), so both go through small copy sessions: an Identity graph per dtype and shape whose
// output stays on the GPU (upload) or comes to the host (read). They live as long as the runtime.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { fmtShape, Graph, type DType, type Shape } from '../graph/graph.ts';
import { toOnnx } from '../graph/onnx.ts';
import { summarizeProfile, type OrtProfileEvent } from './profile.ts';
import {
  createRuntime,
  hostReuse,
  hostUpload,
  OrtDeviceTensor,
  RuntimeError,
  type DeviceTensor,
  type OrtModule,
  type Profiler,
  type Runtime,
} from './runtime.ts';
import type { HostTensor } from '../graph/tensor.ts';

export const NODE_BACKENDS = ['cpu', 'webgpu', 'cuda'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/** What a run computes on, for progress lines and reports. */
export interface NodeDevice {
  backend: NodeBackend;
  /** the GPU as its driver names it ('NVIDIA H100 …'), or the CPU model */
  adapter: string;
  /** a software rasteriser (SwiftShader, llvmpipe): correct, far slower than the CPU backend */
  software: boolean;
  /** the adapter offers fp16 shaders (webgpu) */
  shaderF16: boolean | null;
}

export interface NodeRuntime extends Runtime {
  readonly device: NodeDevice;
}

const mod = ort as unknown as OrtModule;
const QUIET = 3; // onnxruntime log severity: errors only

/** onnxruntime's trace goes to a fresh temp folder per session, read back and removed at endProfiling */
const profiler: Profiler = {
  start() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-profile-'));
    return {
      prefix: path.join(dir, 'trace'),
      async finish() {
        try {
          const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
          if (files.length !== 1) throw new RuntimeError(`expected one profile in ${dir}, found ${files.length}`);
          return summarizeProfile(JSON.parse(fs.readFileSync(path.join(dir, files[0]!), 'utf8')) as OrtProfileEvent[]);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  },
};

export interface NodeRuntimeOptions {
  /**
   * CPU threads per session (onnxruntime's intra-op pool; absent: its default, one per core). Its
   * threaded kernels add partial sums in whatever order the threads finish, so only 1 gives the same
   * numbers run to run; the CPU backend only.
   */
  cpuThreads?: number;
}

/** onnxruntime-node on the CPU (synchronous: nothing to probe). */
export function createNodeRuntime(opts: NodeRuntimeOptions = {}): Runtime {
  const threads = opts.cpuThreads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
    throw new RuntimeError(`CPU threads must be a whole number ≥ 1, got ${threads}`);
  // one session runs one node at a time (sequential execution), so the inter-op pool stays at 1 too
  const pool = threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 };
  return createRuntime({
    backend: 'cpu',
    ort: mod,
    sessionOptions: { executionProviders: ['cpu'], logSeverityLevel: QUIET, ...pool },
    upload: hostUpload(mod),
    reuse: hostReuse(mod),
    profiler,
  });
}

/** onnxruntime-node on `backend`; fails with one line saying what to install when it cannot start. */
export async function openNodeRuntime(backend: NodeBackend, opts: NodeRuntimeOptions = {}): Promise<NodeRuntime> {
  if (backend === 'cpu') return { ...createNodeRuntime(opts), device: await cpuDevice(opts.cpuThreads) };
  if (backend === 'cuda') return openCuda();
  return openWebGpu();
}

async function cpuDevice(threads: number | undefined): Promise<NodeDevice> {
  const os = await import('node:os');
  const use = threads === undefined ? '' : `, ${threads} thread${threads === 1 ? '' : 's'}`;
  return { backend: 'cpu', adapter: `${os.cpus()[0]?.model ?? 'CPU'} (${os.cpus().length} cores${use})`, software: false, shaderF16: null };
}

// ---- webgpu -----------------------------------------------------------------------------------

const WEBGPU_OPTIONS = {
  executionProviders: ['webgpu'],
  logSeverityLevel: QUIET,
  // fail at creation on any op that would silently fall back to the CPU
  extra: { session: { disable_cpu_ep_fallback: '1' } },
} as ort.InferenceSession.SessionOptions;

const VULKAN_HELP =
  'WebGPU in Node runs on Vulkan here and needs its loader, libvulkan.so.1 (Debian/Ubuntu: apt-get install libvulkan1), and a GPU driver with a Vulkan ICD';

/** one line for what Dawn says when it cannot start */
function webgpuStartError(e: unknown): RuntimeError {
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  if (/vulkan/i.test(message) && process.platform === 'linux') return new RuntimeError(`${VULKAN_HELP}: ${message}`);
  return new RuntimeError(`could not start WebGPU: ${message}`);
}

async function openWebGpu(): Promise<NodeRuntime> {
  const copies = new Map<string, Promise<ort.InferenceSession>>();
  /** an Identity session for one dtype and shape, output on the GPU ('gpu-buffer') or the host ('cpu') */
  const copySession = (dtype: DType, shape: Shape, to: 'gpu-buffer' | 'cpu') => {
    const key = `${to} ${dtype}${fmtShape(shape)}`;
    let s = copies.get(key);
    if (!s) {
      const g = new Graph(`copy-${to}`);
      g.output('y', g.identity(g.input('x', dtype, shape)));
      s = ort.InferenceSession.create(toOnnx(g), { ...WEBGPU_OPTIONS, preferredOutputLocation: to });
      copies.set(key, s);
    }
    return s;
  };
  const upload = async (t: HostTensor): Promise<DeviceTensor> => {
    const session = await copySession(t.dtype, t.shape, 'gpu-buffer');
    const { y } = await session.run({ x: new ort.Tensor(t.dtype, t.data as never, [...t.shape]) });
    return new OrtDeviceTensor(y!, readDevice);
  };
  const readDevice = async (t: ort.Tensor): Promise<HostTensor['data']> => {
    const session = await copySession(t.type as DType, t.dims, 'cpu');
    const { y } = await session.run({ x: t });
    return (y!.data as HostTensor['data']).slice();
  };

  try {
    // Dawn starts with the first session: a failure to find Vulkan or a GPU shows here, once
    const probe = await upload({ dtype: 'float32', shape: [4], data: Float32Array.of(1, 2, 3, 4) });
    const back = await probe.read();
    probe.dispose();
    if (Array.from(back.data as Float32Array).join() !== '1,2,3,4')
      throw new RuntimeError(`a GPU round trip returned ${Array.from(back.data as Float32Array).join(',')} instead of 1,2,3,4`);
  } catch (e) {
    throw e instanceof RuntimeError ? e : webgpuStartError(e);
  }
  const rt = createRuntime({ backend: 'webgpu', ort: mod, sessionOptions: WEBGPU_OPTIONS, upload, readDevice, profiler });
  return { ...rt, device: await webgpuDevice() };
}

/**
 * Names the adapter through the npm package `webgpu` (Dawn's Node bindings): onnxruntime does not
 * say which adapter it took. It asks for the high-performance adapter, as onnxruntime's EP does.
 */
async function webgpuDevice(): Promise<NodeDevice> {
  try {
    const { create } = (await import('webgpu')) as { create: (flags: string[]) => GPU };
    const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return unnamed('the webgpu package found no adapter');
    const i = adapter.info;
    const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed adapter';
    const software = i.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(name);
    return { backend: 'webgpu', adapter: name, software, shaderF16: adapter.features.has('shader-f16') };
  } catch (e) {
    return unnamed(`the npm package 'webgpu' could not name it: ${(e as Error).message.split('\n')[0]}`);
  }
}

const unnamed = (why: string): NodeDevice => ({ backend: 'webgpu', adapter: `unknown adapter (${why})`, software: false, shaderF16: null });

// ---- cuda -------------------------------------------------------------------------------------

/** the folder of onnxruntime-node's native binding, where its CUDA provider must be put */
function bindingDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(pkg), 'bin/napi-v6', process.platform, process.arch);
}

async function openCuda(): Promise<NodeRuntime> {
  const dir = bindingDir();
  if (
    !fs.existsSync(path.join(dir, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'))
  ) {
    throw new RuntimeError(
      `--backend cuda needs onnxruntime's CUDA 12 provider beside ${dir}, which npm skips here: run \`node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12\` (downloads it from NuGet; needs CUDA 12 and cuDNN 9), or use --backend webgpu`,
    );
  }
  const sessionOptions = { executionProviders: ['cuda'], logSeverityLevel: QUIET } as ort.InferenceSession.SessionOptions;
  const rt = createRuntime({ backend: 'cuda', ort: mod, sessionOptions, upload: hostUpload(mod), profiler });
  try {
    const g = new Graph('probe');
    const x = g.input('x', 'float32', [4]);
    g.output('y', g.mul(x, x));
    await (await rt.load(g)).release();
  } catch (e) {
    throw new RuntimeError(`could not start CUDA (needs CUDA 12 and cuDNN 9 on the library path): ${(e as Error).message.split('\n')[0]}`);
  }
  // onnxruntime-node keeps CUDA tensors off the JS side: frozen weights are host tensors, copied per run
  return { ...rt, device: { backend: 'cuda', adapter: 'CUDA device 0', software: false, shaderF16: null } };
}
