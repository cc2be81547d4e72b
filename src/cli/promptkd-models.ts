// Model files for the `promptkd` commands: a Hugging Face CLIP folder (config.json + model.safetensors),
// and tuned teacher prompts.
import fs from 'node:fs';
import path from 'node:path';
import { parseClipConfig, type ClipConfig } from '../engine/clip/config.ts';
import { clipSourceNames, detectNaming, loadClipWeights, type ClipTower, type ClipWeights } from '../engine/clip/weights.ts';
import { loadSafetensors, readSafetensorsHeader, SafetensorsError } from '../engine/clip/safetensors.ts';
import { importTeacherPrompts, TeacherPromptError } from '../engine/promptkd/teacher-prompts.ts';

export class ModelDirError extends Error {
  override name = 'ModelDirError';
}

/** Load the given towers of the CLIP in `dir`; `role` ('student', 'teacher') names it in messages. */
export async function loadModelDir(dir: string, role: string, towers: ClipTower[]): Promise<ClipWeights> {
  const need = (f: string) => {
    const p = path.join(dir, f);
    if (!fs.existsSync(p))
      throw new ModelDirError(
        `${role} model folder ${dir} has no ${f} (expected a Hugging Face CLIP folder: config.json + model.safetensors)`,
      );
    return p;
  };
  const configPath = need('config.json'),
    weightsPath = need('model.safetensors');
  try {
    const cfg = parseClipConfig(JSON.parse(fs.readFileSync(configPath, 'utf8')));
    const blob = await fs.openAsBlob(weightsPath);
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
