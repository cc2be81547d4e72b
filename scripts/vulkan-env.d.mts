export function chromiumVulkanDir(env?: NodeJS.ProcessEnv): string | null;
export function vulkanEnv(
  env?: NodeJS.ProcessEnv,
): Partial<Record<'LD_LIBRARY_PATH' | 'VK_DRIVER_FILES' | 'VK_ICD_FILENAMES', string>> | null;
