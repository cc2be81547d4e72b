export function chromiumVulkanDir(env?: NodeJS.ProcessEnv): string | null;
export function softwareVulkanEnv(env?: NodeJS.ProcessEnv): { LD_LIBRARY_PATH: string; VK_DRIVER_FILES: string; VK_ICD_FILENAMES: string } | null;
