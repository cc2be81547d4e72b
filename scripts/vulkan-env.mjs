// Vulkan for Dawn in Node (onnxruntime-node's WebGPU EP, the npm `webgpu` package) on a machine
// without a GPU driver: Chromium ships a Vulkan loader and SwiftShader, a software Vulkan ICD.
// softwareVulkanEnv() returns the variables that point Dawn at them, or null when Chromium's copy
// is not here. Tests and the GPU pack's self-test use it; a real GPU needs none of it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CHROMIUM_LIB_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium-browser'];

/** the folder holding Chromium's libvulkan.so.1 and vk_swiftshader_icd.json */
export function chromiumVulkanDir(env = process.env) {
  const dirs = env.CHROME_PATH ? [dirname(env.CHROME_PATH), ...CHROMIUM_LIB_DIRS] : CHROMIUM_LIB_DIRS;
  return dirs.find((d) => existsSync(join(d, 'libvulkan.so.1')) && existsSync(join(d, 'vk_swiftshader_icd.json'))) ?? null;
}

/** LD_LIBRARY_PATH and the ICD variables for SwiftShader; null without Chromium's copy */
export function softwareVulkanEnv(env = process.env) {
  const dir = chromiumVulkanDir(env);
  if (!dir) return null;
  const icd = join(dir, 'vk_swiftshader_icd.json');
  return {
    LD_LIBRARY_PATH: [dir, env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    // VK_DRIVER_FILES is the loader's current name; VK_ICD_FILENAMES the one older loaders read
    VK_DRIVER_FILES: icd,
    VK_ICD_FILENAMES: icd,
  };
}
