import { defineConfig } from 'vitest/config';
import { vulkanEnv } from './scripts/vulkan-env.mjs';

// The WebGPU runtime tests (onnxruntime-node's Dawn) need Vulkan: the system's, or Chromium's loader
// and SwiftShader. The test processes are forked from this one, so they start with these variables:
// the library path has to be set before a process starts to reach the dynamic loader.
Object.assign(process.env, vulkanEnv() ?? {});

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts', 'deploy/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    pool: 'forks',
  },
});
