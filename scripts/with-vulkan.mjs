// `node scripts/with-vulkan.mjs CMD ARGS…`: runs CMD with a Vulkan loader and driver for Dawn
// (scripts/vulkan-env.mjs): the system's where it has them, else Chromium's loader and SwiftShader.
import { spawnSync } from 'node:child_process';
import { vulkanEnv } from './vulkan-env.mjs';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/with-vulkan.mjs CMD [ARGS…]');
  process.exit(2);
}
const add = vulkanEnv();
if (add === null)
  console.error('with-vulkan: no Vulkan loader or driver here, and no Chromium to borrow them from; WebGPU rows will say so');
const run = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...add } });
process.exit(run.status ?? 1);
