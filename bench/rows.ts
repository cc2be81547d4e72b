// Which parts of the benchmark to run: `--only PATTERNS`.
//
// Every measurement carries tags: its workload (student, teacher), geometry (demo, real), backend
// (node-cpu, node-webgpu; web-native and web-jsep: onnxruntime-web's WebGPU backends in Node, the GPU
// pack's; wasm, browser-webgpu), a variant (`fp16`: the float16 teacher or student; `batch32`:
// the teacher at batch 32), `profile` for kernel profiles, or a section name (attention: the teacher
// fused against plain on the CPU; traffic: a step's GPU traffic in Chromium; capture: graph capture
// checked in Chromium; flops, passes, labels,
// first-load, demo-step, import-scale, long-run). PATTERNS is a comma-separated list; a pattern is tags
// joined by '/', and selects what carries all of them. `--only node-webgpu` runs every onnxruntime-node
// WebGPU row; `--only student/real,flops` the ViT-B/16 student steps on every backend and the FLOPs.

export const WORKLOAD_TAGS = ['student', 'teacher'] as const;
export const GEOMETRY_TAGS = ['demo', 'real'] as const;
export const BACKEND_TAGS = ['node-cpu', 'node-webgpu', 'web-native', 'web-jsep', 'wasm', 'browser-webgpu'] as const;
export const SECTION_TAGS = [
  'attention',
  'traffic',
  'capture',
  'fp16',
  'batch32',
  'profile',
  'flops',
  'passes',
  'labels',
  'first-load',
  'demo-step',
  'import-scale',
  'long-run',
] as const;
const ALL_TAGS: readonly string[] = [...WORKLOAD_TAGS, ...GEOMETRY_TAGS, ...BACKEND_TAGS, ...SECTION_TAGS];

export type WorkloadTag = (typeof WORKLOAD_TAGS)[number];
export type GeometryTag = (typeof GEOMETRY_TAGS)[number];
export type BackendTag = (typeof BACKEND_TAGS)[number];

export interface RowFilter {
  /** the patterns as given ('' = everything) */
  readonly spec: string;
  /** true when a pattern selects a measurement with these tags */
  wants(...tags: string[]): boolean;
}

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

export function parseOnly(spec: string | undefined): RowFilter {
  if (spec === undefined || spec.trim() === '') return { spec: '', wants: () => true };
  const patterns = spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split('/').map((t) => t.trim()));
  for (const tag of patterns.flat()) {
    if (!ALL_TAGS.includes(tag))
      throw new BenchArgsError(`--only: unknown tag '${tag}'; tags are ${ALL_TAGS.join(', ')} (join with '/' to narrow, ',' to add)`);
  }
  return { spec, wants: (...tags) => patterns.some((p) => p.every((t) => tags.includes(t))) };
}

/** the value of `--only PATTERNS` or `--only=PATTERNS` in argv */
export function onlyArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--only') {
      if (argv[i + 1] === undefined) throw new BenchArgsError('--only needs a value, e.g. --only node-webgpu or --only student/real');
      return argv[i + 1];
    }
    if (a.startsWith('--only=')) return a.slice('--only='.length);
  }
  return undefined;
}
