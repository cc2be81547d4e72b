// The GPU pack end to end on this machine: built, copied out of the repo, run by its run.sh with a
// bare environment (no node_modules, no repo, no Node on the PATH but its own) on SwiftShader's
// Vulkan driver, and its JSON lines read back: the parts as measured, the whole result last. Linux
// x64 with Chromium (for SwiftShader) and apt.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumVulkanDir } from '../scripts/vulkan-env.mjs';
import { buildPack, PACK_LIMIT_BYTES } from './pack-build.ts';
import { PACK_KIND, PACK_PART_KIND, type GpuPackResult } from './pack-report.ts';
import { NODE_WEBGPU_FP16_STUDENT } from './node-rows.ts';
import { WEB_BACKEND } from './web-rows.ts';

const swiftshader = chromiumVulkanDir();
const canBuild = process.platform === 'linux' && process.arch === 'x64' && fs.existsSync('/usr/bin/apt-get') && swiftshader !== null;

describe.skipIf(!canBuild)('the GPU pack', () => {
  it('fits in 60 MiB and prints its JSON lines (parts, then the result) from a folder outside the repo, on a software adapter', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-pack-test-'));
    try {
      const pack = await buildPack(path.join(root, 'pack'));
      expect(pack.bytes).toBeLessThanOrEqual(PACK_LIMIT_BYTES);
      // the student only, to keep the test short (a SwiftShader teacher batch takes seconds), and of
      // onnxruntime-web its native EP alone (JSEP's wasm takes V8 minutes to compile on 2 cores)
      const only =
        'student/demo/node-cpu,student/demo/node-webgpu,student/real/node-webgpu,student/demo/web-native,traffic/demo/web-native,capture/web-native';
      const run = spawnSync('sh', [path.join(root, 'pack/run.sh'), '--only', only], {
        cwd: root,
        encoding: 'utf8',
        timeout: 600_000,
        env: {
          PATH: '/usr/bin:/bin',
          HOME: root,
          PACK_WORK: path.join(root, 'work'),
          VK_DRIVER_FILES: path.join(swiftshader!, 'vk_swiftshader_icd.json'),
        },
      });
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string });
      expect(lines.slice(0, -1).every((l) => l.kind === PACK_PART_KIND)).toBe(true);
      expect(lines.length).toBeGreaterThan(4); // the rows came out one by one, before the result
      const r = lines[lines.length - 1] as GpuPackResult;
      expect(r.kind).toBe(PACK_KIND);
      expect(r.nodeDevices['node-webgpu']).toMatchObject({
        backend: 'webgpu',
        software: true,
        adapter: expect.stringMatching(/swiftshader/i),
      });
      expect(r.nodeDevices['node-cpu']).toMatchObject({ backend: 'cpu' });
      const demoRows = r.throughput.filter((t) => t.geometry === r.geometries.demo);
      expect(demoRows.map((t) => t.backend).sort()).toEqual(
        ['onnxruntime-node (CPU)', 'onnxruntime-node WebGPU', NODE_WEBGPU_FP16_STUDENT, WEB_BACKEND.native].sort(),
      );
      for (const t of demoRows.filter((t) => t.backend !== NODE_WEBGPU_FP16_STUDENT)) expect(t.timing!.imagesPerSec).toBeGreaterThan(0);
      // SwiftShader has no shader-f16: the float16 student's row says so instead of giving a number
      expect(demoRows.find((t) => t.backend === NODE_WEBGPU_FP16_STUDENT)).toMatchObject({
        timing: null,
        note: 'the adapter has no shader-f16',
      });
      // the real geometry on a software adapter says so instead of giving a number
      expect(r.throughput.find((t) => t.geometry === r.geometries.real)).toMatchObject({
        timing: null,
        note: expect.stringMatching(/software/),
      });
      // the studio's default WebGPU in the pack: a steady step's traffic and kernels, and graph capture checked
      expect(r.web!.entries).toEqual({ native: 'started' });
      expect(r.web!.traffic[0]).toMatchObject({ entry: 'native', steady: { readbacks: 1, buffersCreated: 0 } });
      expect(r.web!.traffic[0]!.steady.dispatches).toBeGreaterThan(50);
      expect(r.web!.capture).toEqual([{ entry: 'native', check: expect.objectContaining({ geometry: r.geometries.demo }) }]);
      const studentProfile = r.profiles.find((p) => p.workload === 'student train step' && p.backend === 'onnxruntime-node WebGPU')!;
      expect(studentProfile.profile).toMatchObject({ clock: 'gpu' });
      expect(studentProfile.profile!.byOp.length).toBeGreaterThan(3);
      expect(r.pytorch).toBeNull(); // no PyTorch with CUDA here
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 900_000);
});
