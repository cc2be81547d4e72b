// Vulkan for Dawn in Node (onnxruntime-node's WebGPU EP, the npm `webgpu` package) on Linux.
// Dawn needs the Vulkan loader (libvulkan.so.1) and at least one driver (an ICD). Where the system
// lacks them, Chromium's copies stand in: it ships a loader and SwiftShader, a software ICD.
// vulkanEnv() returns the variables to add for that (none on a machine with its own Vulkan), or
// null when neither the system nor Chromium has what is needed. A variable that reaches the
// dynamic loader (LD_LIBRARY_PATH) works only for processes started after it is set.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CHROMIUM_LIB_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium-browser'];
const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** the folder holding Chromium's libvulkan.so.1 and vk_swiftshader_icd.json */
export function chromiumVulkanDir(env = process.env) {
  const dirs = env.CHROME_PATH ? [dirname(env.CHROME_PATH), ...CHROMIUM_LIB_DIRS] : CHROMIUM_LIB_DIRS;
  return dirs.find((d) => existsSync(join(d, 'libvulkan.so.1')) && existsSync(join(d, 'vk_swiftshader_icd.json'))) ?? null;
}

const systemLoader = (env) =>
  [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LOADER_DIRS].some((d) => existsSync(join(d, 'libvulkan.so.1')));
const systemIcd = (env) =>
  Boolean(env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES) ||
  ICD_DIRS.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));

/** the variables that give this machine a Vulkan loader and driver ({} when it has both); null when impossible */
export function vulkanEnv(env = process.env) {
  if (process.platform !== 'linux') return {};
  const loader = systemLoader(env),
    icd = systemIcd(env);
  if (loader && icd) return {};
  const dir = chromiumVulkanDir(env);
  if (!dir) return null;
  const add = {};
  if (!loader) add.LD_LIBRARY_PATH = [dir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  if (!icd) {
    // VK_DRIVER_FILES is the loader's current name; VK_ICD_FILENAMES the one older loaders read
    add.VK_DRIVER_FILES = add.VK_ICD_FILENAMES = join(dir, 'vk_swiftshader_icd.json');
  }
  return add;
}
