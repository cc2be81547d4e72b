// Models for the studio: the embedded demo CLIPs (served under /models/), Hugging Face Hub ids
// (clip/hub.ts, kept in the origin private file system, storage/model-files.ts) or a local CLIP
// folder's config.json + model.safetensors (kept there too).
// A teacher needs both towers; a student needs the vision tower, and its text tower (when the file
// has one) gives the zero-shot student reference line.
import { parseClipConfig } from '../engine/clip/config.ts';
import { downloadClipModel, type HubCache } from '../engine/clip/hub.ts';
import { hashBlob, wasmSha256 } from '../engine/clip/sha256.ts';
import { loadSafetensors, readSafetensorsHeader } from '../engine/clip/safetensors.ts';
import { clipSourceNames, detectNaming, loadClipWeights, type ClipTower, type ClipWeights } from '../engine/clip/weights.ts';
import type { LocalModelStore } from '../storage/model-files.ts';
import { StudioStorage, type ModelChoice } from '../storage/storage.ts';
import { ModelError } from './errors.ts';
import type { ModelInfo, ModelRole, ModelSource } from './protocol.ts';

export interface LoadedModel {
  weights: ClipWeights;
  info: ModelInfo;
}

export interface ModelEnv {
  storage: StudioStorage;
  /** fetches a file of the demo models by path under /models/ (e.g. 'demo-student/config.json') */
  fetchDemoFile(path: string): Promise<Blob>;
  hubCache: HubCache;
  /** where local model files are kept between sessions */
  localModels: LocalModelStore;
  /** the Hub's transport; default the global fetch (tests serve files without a network) */
  fetch?: typeof fetch;
  onProgress(done: number, total: number, label: string): void;
  /** a model file the browser would not keep: it is used from memory while the page stays open */
  onNotKept(message: string): void;
  /** a kept Hub file that changed behind the studio's back: it was discarded and downloaded again */
  onChanged(message: string): void;
  /** stops a download (pause or cancel on the page) */
  signal?: AbortSignal;
  /** resolves when the browser is back online: a download waits for it instead of failing */
  waitForNetwork?: (signal?: AbortSignal) => Promise<void>;
}

const MB = (b: number) => `${(b / 1e6).toFixed(b < 1e7 ? 1 : 0)} MB`;

/**
 * What the browser said when it would not keep a model file, with its own storage estimate. "Full"
 * only when that estimate leaves no room for the file: a private window refuses gigabyte files while
 * it reports gigabytes free, and calling that full would send people deleting data for nothing.
 */
export async function notKept(what: string, error: unknown, bytes: number): Promise<string> {
  const said = `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
  const est = await StudioStorage.usage().catch(() => null);
  if (!est) return `${what} could not be kept in this browser (${said}; it gives no storage estimate)`;
  const reported = `${MB(est.usage)} of ${MB(est.quota)} used`;
  return est.quota - est.usage < bytes
    ? `${what} could not be kept: the browser's storage is full (${reported}; ${said})`
    : `${what} could not be kept in this browser (${said}) although it reports ${reported}: private windows and some browser settings limit what a site may keep`;
}

/** download progress at most this often (a 1.7 GB file arrives in tens of thousands of chunks) */
const PROGRESS_MS = 200;

/** the demo manifest's folders */
const DEMO_PATH: Record<ModelRole, string> = { student: 'demo-student', teacher: 'demo-teacher' };

/** Load the towers `role` needs from a config.json text and a safetensors blob. */
export async function loadClipFiles(
  role: ModelRole,
  source: ModelInfo['source'],
  name: string,
  configText: string,
  weights: Blob,
): Promise<LoadedModel> {
  try {
    let json: unknown;
    try {
      json = JSON.parse(configText);
    } catch (e) {
      throw new ModelError(`config.json is not valid JSON (${(e as Error).message})`);
    }
    const cfg = parseClipConfig(json);
    const stored = (await readSafetensorsHeader(weights)).tensors;
    const naming = detectNaming(stored);
    const textNames = clipSourceNames(cfg, naming, ['text']);
    const hasText = textNames.every((n) => stored.has(n));
    const towers: ClipTower[] = role === 'teacher' || hasText ? ['vision', 'text'] : ['vision'];
    // read only what these towers use; absent names are left to loadClipWeights, which lists them all
    const tensors = await loadSafetensors(
      weights,
      clipSourceNames(cfg, naming, towers).filter((n) => stored.has(n)),
    );
    const clip = loadClipWeights(tensors, cfg, { towers, naming, prefix: role, consume: true });
    return {
      weights: clip,
      info: {
        role,
        source,
        name,
        imageSize: cfg.vision.imageSize,
        visionLayers: cfg.vision.layers,
        visionWidth: cfg.vision.width,
        embedDim: cfg.embedDim,
        textLayers: towers.includes('text') ? cfg.text.layers : null,
        bytes: weights.size,
      },
    };
  } catch (e) {
    throw new ModelError(
      `the ${role} model ${name} cannot be used: ${(e as Error).message}. A model is a Hugging Face CLIP: config.json + model.safetensors.`,
    );
  }
}

/** Loads a model the user chose and says how to remember the choice. */
export async function loadModelSource(
  env: ModelEnv,
  role: ModelRole,
  src: ModelSource,
): Promise<{ model: LoadedModel; choice: ModelChoice }> {
  switch (src.kind) {
    case 'demo':
      return { model: await loadDemoModel(env, role), choice: { kind: 'demo' } };
    case 'hub': {
      let last = 0,
        lastFile = '';
      const hub = await downloadClipModel(src.repo, {
        ...(src.baseUrl ? { baseUrl: src.baseUrl } : {}),
        ...(src.revision ? { revision: src.revision } : {}),
        ...(src.commit ? { commit: src.commit } : {}),
        ...(src.token ? { token: src.token } : {}),
        cache: env.hubCache,
        ...(env.fetch ? { fetch: env.fetch } : {}),
        ...(env.signal ? { signal: env.signal } : {}),
        ...(env.waitForNetwork ? { waitForNetwork: env.waitForNetwork } : {}),
        onNotKept: async (file, error, bytes) =>
          env.onNotKept(
            `${await notKept(`${src.repo} ${file}`, error, bytes)}: it is used from memory while this page stays open, and downloaded again next time.`,
          ),
        onChanged: (file, recorded, found) =>
          env.onChanged(
            `${src.repo} ${file} as kept in this browser had changed since it was downloaded (its SHA-256 is ${found}, not ${recorded}): ` +
              'it was not used, and was downloaded again.',
          ),
        onProgress: (p) => {
          const now = Date.now();
          // each file's first report goes out: a file held up at its start must still show as going on
          if (p.loaded < p.total && p.file === lastFile && now - last < PROGRESS_MS) return;
          last = now;
          lastFile = p.file;
          env.onProgress(p.loaded, p.total, `${src.repo} ${p.file}${p.cached ? ' (cached)' : ''}`);
        },
      });
      const model = await loadClipFiles(role, 'hub', src.repo, JSON.stringify(hub.rawConfig), hub.weights);
      return {
        model,
        choice: {
          kind: 'hub',
          repo: src.repo,
          ...(src.baseUrl ? { baseUrl: src.baseUrl } : {}),
          ...(src.revision ? { revision: src.revision } : {}),
          commit: hub.commit,
        },
      };
    }
    case 'files': {
      const name = src.weights.name || 'model.safetensors';
      const configText = await src.config.text();
      const model = await loadClipFiles(role, 'files', name, configText, src.weights);
      // kept so that a reload (and a resumed run) finds the same model; if the browser will not keep
      // them, the model still works from memory until the page goes away
      await env.localModels.save(role, { name, config: configText, weights: src.weights }).catch(async (e: unknown) => {
        env.onNotKept(
          `${await notKept(`The ${role} model files (${name})`, e, src.weights.size)}: the model is used from memory while this page stays open; after a reload, choose its files again.`,
        );
      });
      return { model, choice: { kind: 'files', name } };
    }
  }
}

async function loadDemoModel(env: ModelEnv, role: ModelRole): Promise<LoadedModel> {
  const dir = DEMO_PATH[role];
  env.onProgress(0, 2, `${dir} config.json`);
  const config = await (await env.fetchDemoFile(`${dir}/config.json`)).text();
  env.onProgress(1, 2, `${dir} model.safetensors`);
  const weights = await env.fetchDemoFile(`${dir}/model.safetensors`);
  env.onProgress(2, 2, dir);
  return loadClipFiles(role, 'demo', dir, config, weights);
}

/** Loads a remembered choice again (after a reload). */
export async function loadModelChoice(env: ModelEnv, role: ModelRole, choice: ModelChoice): Promise<LoadedModel> {
  if (choice.kind === 'demo') return loadDemoModel(env, role);
  if (choice.kind === 'hub') return (await loadModelSource(env, role, choice)).model;
  // a studio before model-files.ts kept local files in IndexedDB
  const files = (await env.localModels.get(role)) ?? (await env.storage.getModelFiles(role));
  if (!files)
    throw new ModelError(`the ${role} model files (${choice.name}) are no longer in the browser's storage; choose the model again`);
  // files kept by a studio before hashing (or in IndexedDB, before model-files.ts) have no hash to check
  const recorded = 'sha256' in files ? files.sha256 : null;
  if (typeof recorded === 'string') await checkKeptFiles(env, role, files.name, files.weights, recorded);
  return loadClipFiles(role, 'files', files.name, files.config, files.weights);
}

/** the kept copy of a local model's weights must still have the SHA-256 it had at import: a copy changed on disk is never used */
async function checkKeptFiles(env: ModelEnv, role: ModelRole, name: string, weights: Blob, recorded: string): Promise<void> {
  const hash = await wasmSha256();
  await hashBlob(hash, weights, 0, weights.size, (done) => env.onProgress(done, weights.size, `${name} (checking)`));
  const found = hash.hex();
  if (found !== recorded) {
    throw new ModelError(
      `the ${role} model files (${name}) kept in this browser have changed since they were imported (their SHA-256 is ${found}, ` +
        `${recorded} at import): they are not used; choose the model's files again`,
    );
  }
}
