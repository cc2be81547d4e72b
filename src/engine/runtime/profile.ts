// Reading onnxruntime's profiler output (a Chrome-trace JSON array) into per-kernel times.
//
// What the events mean, per EP (seen in onnxruntime-node 1.30):
// - every EP: `cat: 'Session', name: 'model_run'` spans one run; `cat: 'Node', name: '<node>_kernel_time'`
//   is the time the host spent in the kernel, with args.op_name and args.input_type_shape;
// - WebGPU: the kernels only enqueue GPU work, so their host time says little. With profiling on, the
//   EP also records GPU timestamps per dispatch as `cat: 'Api', name: '<node>&<op>&<kernel>'`;
//   those are the GPU's own times and are used when present.
// Only the LAST run in the file is summarised: the first run of a session compiles shaders.

export interface OrtProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}

export interface KernelTime {
  /** the graph node, e.g. 'MatMul_12' */
  node: string;
  op: string;
  /** input shapes, e.g. [[8,197,768],[768,2304]] */
  shapes: number[][];
  us: number;
}

export interface KernelProfile {
  /** 'gpu' = GPU timestamps (WebGPU); 'host' = host time in each kernel (CPU EP) */
  clock: 'gpu' | 'host';
  /** sum of the kernels' times in the run, ms */
  kernelMs: number;
  /** wall time of the run, ms */
  runMs: number;
  kernels: number;
  /** by op type, largest first */
  byOp: { op: string; ms: number; share: number; kernels: number }[];
  /** the single kernels (node + shapes) that took longest */
  top: { node: string; op: string; shapes: number[][]; ms: number; share: number }[];
}

const shapesOf = (e: OrtProfileEvent): number[][] => (e.args?.input_type_shape ?? []).map((s) => Object.values(s)[0] ?? []);

/** the kernels of the last `model_run` in a profile */
export function lastRunKernels(events: readonly OrtProfileEvent[]): {
  clock: KernelProfile['clock'];
  runUs: number;
  kernels: KernelTime[];
} {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const last = runs[runs.length - 1];
  if (!last) throw new Error('the profile holds no run (model_run event)');
  const hostNodes = events.filter(
    (e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= last.ts && e.ts <= last.ts + last.dur,
  );
  const shapes = new Map(hostNodes.map((e) => [e.name.slice(0, -'_kernel_time'.length), shapesOf(e)]));
  // GPU timestamps may land after the run's host span ends (the queue drains later): take all after its start
  const gpu = events.filter((e) => e.cat === 'Api' && e.ts >= last.ts);
  if (gpu.length > 0) {
    return {
      clock: 'gpu',
      runUs: last.dur,
      kernels: gpu.map((e) => {
        const [node = e.name, op = '?'] = e.name.split('&');
        return { node, op, shapes: shapes.get(node) ?? [], us: e.dur };
      }),
    };
  }
  return {
    clock: 'host',
    runUs: last.dur,
    kernels: hostNodes.map((e) => {
      const node = e.name.slice(0, -'_kernel_time'.length);
      return { node, op: e.args?.op_name ?? node.replace(/_\d+$/, ''), shapes: shapes.get(node) ?? [], us: e.dur };
    }),
  };
}

/** totals by op and the `top` longest kernels of the last run */
export function summarizeProfile(events: readonly OrtProfileEvent[], top = 10): KernelProfile {
  const { clock, runUs, kernels } = lastRunKernels(events);
  const totalUs = kernels.reduce((s, k) => s + k.us, 0);
  const share = (us: number) => (totalUs > 0 ? us / totalUs : 0);
  const byOp = new Map<string, { us: number; kernels: number }>();
  for (const k of kernels) {
    const o = byOp.get(k.op) ?? { us: 0, kernels: 0 };
    o.us += k.us;
    o.kernels++;
    byOp.set(k.op, o);
  }
  return {
    clock,
    kernelMs: totalUs / 1000,
    runMs: runUs / 1000,
    kernels: kernels.length,
    byOp: [...byOp].map(([op, o]) => ({ op, ms: o.us / 1000, share: share(o.us), kernels: o.kernels })).sort((a, b) => b.ms - a.ms),
    top: [...kernels]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((k) => ({ node: k.node, op: k.op, shapes: k.shapes, ms: k.us / 1000, share: share(k.us) })),
  };
}
