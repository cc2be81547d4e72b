// `--backend cpu|webgpu|cuda` for every `promptkd` command: parsing, opening the runtime, and the
// line that says where the run computes.
import { NODE_BACKENDS, openNodeRuntime, type NodeBackend, type NodeRuntime, type NodeRuntimeOptions } from '../engine/runtime/node.ts';

export const BACKEND_HELP = `  --backend NAME      where to compute: ${NODE_BACKENDS.join(', ')} (default cpu); webgpu uses the GPU through
                      Vulkan (Linux: apt-get install libvulkan1), Metal or D3D12; see docs/cli.md, On a GPU`;

export function parseBackend(raw: unknown, fail: (message: string) => Error): NodeBackend {
  const name = raw ?? 'cpu';
  if (typeof name !== 'string' || !(NODE_BACKENDS as readonly string[]).includes(name)) {
    throw fail(`--backend must be one of ${NODE_BACKENDS.join(', ')}, got '${String(name)}'`);
  }
  return name as NodeBackend;
}

/** opens the runtime and logs `computing on webgpu: <adapter>` (with a warning on a software adapter) */
export async function openBackend(backend: NodeBackend, log: (line: string) => void, opts: NodeRuntimeOptions = {}): Promise<NodeRuntime> {
  const rt = await openNodeRuntime(backend, opts);
  const d = rt.device;
  log(
    `computing on ${d.backend}: ${d.adapter}${d.software ? ' — a software adapter (no GPU driver in use): correct but slower than --backend cpu' : ''}`,
  );
  return rt;
}
