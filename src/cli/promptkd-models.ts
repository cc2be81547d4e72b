// Model files for the `promptkd` commands: a Hugging Face CLIP folder (config.json + model.safetensors)
// or a Hub id (hub-models.ts), and tuned teacher prompts.
import fs from 'node:fs';
import path from 'node:path';
import { parseClipConfig, type ClipConfig } from '../engine/clip/config.ts';
import { clipSourceNames, detectNaming, loadClipWeights, type ClipTower, type ClipWeights } from '../engine/clip/weights.ts';
import { loadSafetensors, readSafetensorsHeader, SafetensorsError } from '../engine/clip/safetensors.ts';
import { importTeacherPrompts, TeacherPromptError } from '../engine/promptkd/teacher-prompts.ts';
import { HubError } from '../engine/clip/hub.ts';
import { HUB_ID, hubModelFiles } from './hub-models.ts';

export class ModelDirError extends Error {
  override name = 'ModelDirError';
}

/**
 * Load the given towers of the CLIP in `dir`, or of the Hub model it names when no such folder exists
 * (hub-models.ts; `hubToken` for gated and private repos); `role` ('student', 'teacher') names it in messages.
 */
export async function loadModelDir(dir: string, role: string, towers: ClipTower[], hubToken?: string): Promise<ClipWeights> {
  const files = !fs.existsSync(dir) && HUB_ID.test(dir) ? await fromHub(dir, role, hubToken) : fromFolder(dir, role);
  try {
    const cfg = parseClipConfig(JSON.parse(files.config));
    const blob = await files.weights();
    const stored = (await readSafetensorsHeader(blob)).tensors;
    const naming = detectNaming(stored);
    // read only what these towers use; absent names are left to loadClipWeights, which lists them all
    const source = await loadSafetensors(
      blob,
      clipSourceNames(cfg, naming, towers).filter((n) => stored.has(n)),
    );
    return loadClipWeights(source, cfg, { towers, naming, prefix: role, consume: true });
  } catch (e) {
    throw new ModelDirError(`${role} model ${dir}: ${(e as Error).message}`);
  }
}

interface ModelFiles {
  config: string;
  weights: () => Promise<Blob>;
}

function fromFolder(dir: string, role: string): ModelFiles {
  const need = (f: string) => {
    const p = path.join(dir, f);
    if (!fs.existsSync(p))
      throw new ModelDirError(
        `${role} model folder ${dir} has no ${f} (expected a Hugging Face CLIP folder: config.json + model.safetensors, or a Hub id owner/name)`,
      );
    return p;
  };
  const configPath = need('config.json'),
    weightsPath = need('model.safetensors');
  return { config: fs.readFileSync(configPath, 'utf8'), weights: () => fs.openAsBlob(weightsPath) };
}

async function fromHub(id: string, role: string, token: string | undefined): Promise<ModelFiles> {
  try {
    const files = await hubModelFiles(id, token);
    process.stderr.write(`${role}: ${files.pinned}\n`);
    return { config: files.config, weights: async () => files.weights };
  } catch (e) {
    if (e instanceof HubError) throw new ModelDirError(`${role} model ${id}: ${e.message}`);
    throw e;
  }
}

/** tuned teacher prompts from a file (safetensors or a PromptSRC/PromptKD checkpoint) for a teacher of config `cfg` */
export async function loadTeacherPrompts(file: string, cfg: ClipConfig) {
  if (!fs.existsSync(file)) throw new ModelDirError(`teacher prompt file ${file} does not exist`);
  try {
    return await importTeacherPrompts(await fs.openAsBlob(file), cfg, file);
  } catch (e) {
    if (e instanceof TeacherPromptError || e instanceof SafetensorsError)
      throw new ModelDirError(`cannot use ${file} as teacher prompts: ${e.message}`);
    throw e;
  }
}
