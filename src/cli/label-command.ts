// `promptkd label`: the teacher's logits for every view a distillation will draw, written once as
// teacher-label files (engine/promptkd/teacher-labels.ts, docs/teacher-labels.md) that any number of
// student runs read instead of running the teacher. One process labels one shard of the folder's
// listing (--shard i/n, or a job engine's array index: shard.ts), so n machines label a folder in
// parallel; `promptkd label merge` joins the shards into one file.
//
// LABELS_DIR holds
//   manifest.json                the labelling every shard belongs to (each shard writes the same bytes)
//   shard-<i>-of-<n>.safetensors a finished shard
//   shard-<i>-of-<n>.parts/      a shard still being labelled: its committed chunks (chunk-<from>-<to>.safetensors,
//                                test.safetensors), each written whole. Run again after a crash or a
//                                pre-emption, a shard labels only the files no chunk holds yet.
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../engine/clip/decode-node.ts';
import { stackImages } from '../engine/clip/preprocess.ts';
import { parseSplitFile, splitImages, SplitFileError } from '../engine/data/split-file.ts';
import { describeIndistinguishable, indistinguishableClasses } from '../engine/promptkd/class-texts.ts';
import { augmentSeedOf } from '../engine/promptkd/distill.ts';
import { PAPER_SETTINGS, RUN_SETTINGS, type RunSettings } from '../engine/promptkd/run-settings.ts';
import {
  joinLabelParts,
  LABELS_FORMAT,
  mergeLabelShards,
  readLabelPart,
  shardRange,
  TeacherLabelError,
  writeLabelFile,
  type LabelHeader,
  type LabelPart,
  type LabelTest,
  type SkippedFile,
} from '../engine/promptkd/teacher-labels.ts';
import { ZERO_SHOT_TEMPLATES } from '../engine/promptkd/teacher-text.ts';
import { Teacher } from '../engine/promptkd/teacher.ts';
import { float32ToHalf } from '../engine/graph/half.ts';
import type { NodeBackend } from '../engine/runtime/node.ts';
import { hostTensor } from '../engine/graph/tensor.ts';
import { applyFlags, cliHelp, cliOptions } from '../engine/settings/table.ts';
import { BACKEND_HELP, openBackend, parseBackend } from './backend.ts';
import { writeAtomic, writeBlobAtomic } from './files.ts';
import { DATA_AND_TEACHER_FLAGS, listFlag, numberFlag, parseFlags } from './flags.ts';
import { listFiles, scanLabeled, sha256Hex, type LabeledFolder } from './promptkd-folders.ts';
import { renderView } from './promptkd-images.ts';
import { LabelError, MANIFEST_FILE, partsDirName, readLabelFiles, shardFileName } from './label-files.ts';
import { loadModelDir, loadTeacherPrompts } from './promptkd-models.ts';
import { shardOf, type Shard } from './shard.ts';

/** the distillation settings that decide which views exist */
const VIEW_SETTINGS = RUN_SETTINGS.filter((r) => (['epochs', 'seed', 'augment', 'views'] as string[]).includes(r.key));

export const LABEL_USAGE = `usage: promptkd label --unlabeled DIR --teacher DIR --out LABELS_DIR [--test DIR | --classes a,b,... | --split FILE] [options]
       promptkd label merge LABELS_DIR --out FILE

  --unlabeled DIR     the images to label: every file below it (ids are paths relative to it)
  --teacher DIR       teacher CLIP (Hugging Face folder: config.json + model.safetensors), or a Hub id
                      owner/name[@revision], downloaded into the cache (docs/downloads.md)
  --hub-token T       an access token for a gated or private Hub model (default: the HF_TOKEN variable)
  --teacher-prompts F tuned teacher prompts (safetensors, or a PromptSRC/PromptKD checkpoint); default zero-shot
  --test DIR          labeled test folder (class_name/*.jpg): gives the classes, and shard 0 labels its centre views
                      so that a distillation from the labels reports the teacher's accuracy
  --classes a,b,...   class names in label order, when there is no --test folder
  --split FILE        a CoOp split file: its labels give the class order, its train list (under --unlabeled) is
                      what is labelled, its test list the test images
  --out LABELS_DIR    where the shards go (several machines may write to one shared folder)
  --shard i/n         label shard i of n (counting from 0); default: from SLURM_ARRAY_TASK_ID/COUNT,
                      JOB_COMPLETION_INDEX (with --shards n) or AWS_BATCH_JOB_ARRAY_INDEX; else the whole folder
  --shards n          the shard count, where the environment gives only an index (Kubernetes)
  --teacher-batch N   teacher images per forward pass (default 32; at least 2)
  --chunk N           files per committed chunk (default 256): what a killed run can lose
  --fp16              store the logits in float16 (half the size; see docs/teacher-labels.md for what it costs)
  --teacher-fp16      run the teacher's image tower in float16 (GPUs with shader-f16)
${BACKEND_HELP}
the views (the distillation's settings; a run can use labels made with its own values):
${cliHelp(VIEW_SETTINGS, PAPER_SETTINGS).join('\n')}`;

export interface LabelArgs {
  unlabeled: string;
  teacher: string;
  /** an access token for a gated or private Hub teacher */
  hubToken?: string;
  teacherPrompts?: string;
  test?: string;
  classes?: string[];
  split?: string;
  out: string;
  shard: Shard;
  settings: RunSettings;
  teacherBatch: number;
  chunk: number;
  fp16: boolean;
  teacherFp16: boolean;
  backend: NodeBackend;
}

export function parseLabelArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): LabelArgs {
  const options = {
    ...DATA_AND_TEACHER_FLAGS,
    out: { type: 'string' },
    shard: { type: 'string' },
    shards: { type: 'string' },
    'teacher-batch': { type: 'string', default: '32' },
    chunk: { type: 'string', default: '256' },
    fp16: { type: 'boolean' },
    'teacher-fp16': { type: 'boolean' },
    ...cliOptions(VIEW_SETTINGS),
  } as const;
  const fail = (m: string) => new LabelError(m);
  const values = parseFlags(argv, options, fail);
  for (const req of ['unlabeled', 'teacher', 'out'] as const) if (!values[req]) throw new LabelError(`--${req} is required`);
  const given = ['test', 'classes', 'split'].filter((k) => values[k] !== undefined);
  if (given.length !== 1)
    throw new LabelError(
      `name the classes with one of --test DIR, --classes a,b,… or --split FILE${given.length ? ` (got ${given.map((k) => `--${k}`).join(' and ')})` : ''}`,
    );
  const teacherBatch = numberFlag('teacher-batch', values['teacher-batch'] as string, true, fail);
  // one image alone takes other kernels than a batch, and gives other last digits (docs/teacher-labels.md)
  if (teacherBatch < 2) throw new LabelError(`--teacher-batch must be at least 2, got ${teacherBatch}`);
  const chunk = numberFlag('chunk', values.chunk as string, true, fail);
  if (chunk < 1) throw new LabelError(`--chunk must be at least 1, got ${chunk}`);
  const shards = values.shards === undefined ? undefined : numberFlag('shards', values.shards as string, true, fail);
  const classes = listFlag(values.classes);
  return {
    unlabeled: values.unlabeled as string,
    teacher: values.teacher as string,
    ...(values['hub-token'] ? { hubToken: values['hub-token'] as string } : {}),
    teacherPrompts: values['teacher-prompts'] as string | undefined,
    test: values.test as string | undefined,
    classes,
    split: values.split as string | undefined,
    out: values.out as string,
    shard: shardOf(values.shard as string | undefined, shards, env),
    settings: applyFlags(VIEW_SETTINGS, values, PAPER_SETTINGS, fail).settings,
    teacherBatch,
    chunk,
    fp16: values.fp16 === true,
    teacherFp16: values['teacher-fp16'] === true,
    backend: parseBackend(values.backend, fail),
  };
}

/** the listing to label and the test images: a folder's files, or a split file's train list */
interface Listing {
  files: string[];
  classes: string[];
  /** test images relative to testDir, with their labels; null: no test labels */
  test: { dir: string; images: { file: string; label: number }[] } | null;
}

function listing(a: LabelArgs): Listing {
  if (!fs.existsSync(a.unlabeled) || !fs.statSync(a.unlabeled).isDirectory())
    throw new LabelError(`unlabeled folder ${a.unlabeled} does not exist or is not a folder`);
  if (a.split) {
    if (!fs.existsSync(a.split)) throw new LabelError(`split file ${a.split} does not exist`);
    try {
      const split = parseSplitFile(fs.readFileSync(a.split, 'utf8'), a.split);
      const exists = (p: string) => fs.statSync(path.join(a.unlabeled, p), { throwIfNoEntry: false })?.isFile() ?? false;
      const found = splitImages(split, exists, a.unlabeled, 'give --unlabeled the folder its paths are relative to');
      return {
        files: found.train.map((i) => i.path),
        classes: [...split.classes],
        test: { dir: a.unlabeled, images: found.test.map((i) => ({ file: i.path, label: i.label })) },
      };
    } catch (e) {
      throw e instanceof SplitFileError ? new LabelError(e.message) : e;
    }
  }
  const files = listFiles(a.unlabeled);
  if (files.length === 0) throw new LabelError(`unlabeled folder ${a.unlabeled} holds no files`);
  if (a.test) {
    const t: LabeledFolder = scanLabeled(a.test);
    return { files, classes: t.classes, test: { dir: a.test, images: t.images } };
  }
  if (!a.classes || a.classes.length < 2) throw new LabelError('--classes must name at least 2 classes');
  return { files, classes: a.classes, test: null };
}

const json = (x: unknown) => `${JSON.stringify(x, null, 1)}\n`;

/** the manifest of the labelling: what every shard shares */
function manifestOf(h: LabelHeader): Record<string, unknown> {
  return {
    format: LABELS_FORMAT,
    shards: h.shard.count,
    files: h.files,
    classes: h.classes,
    teacher: h.teacher,
    recipe: h.recipe,
    logits: h.logits,
    shardFiles: Array.from({ length: h.shard.count }, (_, i) => shardFileName(i, h.shard.count)),
  };
}

/** writes the manifest, or checks that the folder's is this labelling's: another one is never overwritten */
function claimFolder(out: string, manifest: Record<string, unknown>): void {
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, MANIFEST_FILE),
    text = json(manifest);
  if (fs.existsSync(file)) {
    const had = fs.readFileSync(file, 'utf8');
    if (had === text) return;
    let theirs: Record<string, unknown> = {};
    try {
      theirs = JSON.parse(had) as Record<string, unknown>;
    } catch {
      /* named below as another labelling */
    }
    const differs = Object.keys(manifest).filter((k) => JSON.stringify(theirs[k]) !== JSON.stringify(manifest[k]));
    throw new LabelError(
      `${out} holds another labelling (its ${differs.join(', ') || 'manifest'} differ${differs.length === 1 ? 's' : ''}); its files are kept: choose another --out, or remove it to start over`,
    );
  }
  writeAtomic(file, text);
}

interface ChunkJob {
  from: number;
  to: number;
}

/** the ranges of [from, to) no chunk holds yet, in pieces of at most `size` files */
function missingRanges(done: readonly LabelPart[], from: number, to: number, size: number): ChunkJob[] {
  const covered = done
    .filter((p) => p.header.range.to > p.header.range.from)
    .map((p) => p.header.range)
    .sort((x, y) => x.from - y.from);
  const out: ChunkJob[] = [];
  let at = from;
  const fill = (until: number) => {
    for (; at < until; at = Math.min(until, at + size)) out.push({ from: at, to: Math.min(until, at + size) });
  };
  for (const r of covered) {
    if (r.from < at)
      throw new LabelError(`chunks in the shard's parts folder overlap at file ${r.from}; remove that folder to label the shard again`);
    fill(r.from);
    at = r.to;
  }
  fill(to);
  return out;
}

export interface LabelReport {
  shard: Shard;
  file: string;
  /** images and skipped files of the shard */
  images: number;
  skipped: number;
  /** views the teacher labelled in this run (chunks already committed cost none) */
  labelled: number;
  /** chunks found committed from an earlier run */
  resumedChunks: number;
  seconds: number;
}

/** Labels one shard; returns what it did. `log` gets progress lines (one per chunk). */
export async function runLabel(a: LabelArgs, log: (line: string) => void): Promise<LabelReport> {
  const started = Date.now();
  const { index, count } = a.shard;
  const list = listing(a);
  const range = shardRange(index, count, list.files.length);
  const teacherW = await loadModelDir(a.teacher, 'teacher', ['vision', 'text'], a.hubToken);
  const rt = await openBackend(a.backend, log);
  if (a.teacherFp16 && rt.device.shaderF16 === false)
    throw new LabelError(`--teacher-fp16 needs a GPU with shader-f16, and ${rt.device.adapter} has none; leave the flag out`);
  const prompts = a.teacherPrompts ? await loadTeacherPrompts(a.teacherPrompts, teacherW.config) : null;
  const teacher = await Teacher.create(rt, teacherW, {
    prompts,
    templates: ZERO_SHOT_TEMPLATES,
    imageBatch: a.teacherBatch,
    precision: a.teacherFp16 ? 'float16' : 'float32',
  });
  try {
    const classFeatures = await teacher.textFeatures(list.classes); // [C,D]
    const alike = describeIndistinguishable(indistinguishableClasses(classFeatures, list.classes), list.classes.length);
    if (alike) throw new LabelError(alike);
    const s = a.settings,
      S = teacherW.config.vision.imageSize,
      C = list.classes.length;
    const V = s.augment ? (s.views > 0 ? s.views : s.epochs) : 1;
    const header: LabelHeader = {
      classes: list.classes,
      teacher: { id: teacher.modelId, promptState: teacher.promptState, logitScale: teacher.logitScale },
      recipe: { seed: s.seed, epochs: s.epochs, augment: s.augment, views: V, inputSize: S },
      shard: { index, count },
      files: list.files.length,
      range,
      skipped: [],
      logits: a.fp16 ? 'F16' : 'F32',
    };
    claimFolder(a.out, manifestOf(header));
    const shardFile = path.join(a.out, shardFileName(index, count));
    const report = (labelled: number, resumedChunks: number, part: LabelPart): LabelReport => ({
      shard: a.shard,
      file: shardFile,
      images: part.ids.length,
      skipped: part.header.skipped.length,
      labelled,
      resumedChunks,
      seconds: (Date.now() - started) / 1000,
    });
    if (fs.existsSync(shardFile)) {
      const done = await readLabelPart(await fs.openAsBlob(shardFile), shardFile);
      log(`shard ${index}/${count} is labelled already (${shardFile}); nothing to do`);
      return report(0, 0, done);
    }

    const partsDir = path.join(a.out, partsDirName(index, count));
    fs.mkdirSync(partsDir, { recursive: true });
    const done: LabelPart[] = [];
    for (const f of fs
      .readdirSync(partsDir)
      .filter((n) => n.endsWith('.safetensors'))
      .sort()) {
      const file = path.join(partsDir, f);
      try {
        done.push(await readLabelPart(await fs.openAsBlob(file), file));
      } catch (e) {
        // every chunk is written whole (files.ts): one that does not read was damaged afterwards, and is labelled again
        if (!(e instanceof TeacherLabelError)) throw e;
        log(`${file} does not read (${e.message}); labelling its files again`);
        fs.rmSync(file);
      }
    }
    const resumedChunks = done.length;
    const jobs = missingRanges(
      done.filter((p) => !p.test),
      range.from,
      range.to,
      a.chunk,
    );
    const wantTest = index === 0 && list.test !== null && !done.some((p) => p.test);
    const total = jobs.reduce((n, j) => n + (j.to - j.from) * V, 0) + (wantTest ? list.test!.images.length : 0);
    log(
      `shard ${index}/${count} (${a.shard.from}): files ${range.from}..${range.to - 1} of ${list.files.length}, ${V} view${V > 1 ? 's' : ''} each` +
        `${resumedChunks ? `; ${resumedChunks} chunk${resumedChunks > 1 ? 's' : ''} already written, labelling the rest` : ''}`,
    );
    // labelled: views the teacher ran on; passed: views of the files gone through (a skipped file's too)
    let labelled = 0,
      passed = 0;
    const clock = Date.now();
    const progress = (what: string) => {
      const secs = (Date.now() - clock) / 1000,
        rate = labelled / Math.max(secs, 1e-9);
      const left = passed > 0 ? ((total - passed) * secs) / passed : Infinity;
      log(
        `${what}: ${passed}/${total} views, ${rate.toFixed(1)} views/s, ${Number.isFinite(left) ? `about ${Math.ceil(left)} s left` : 'time left unknown'}`,
      );
    };
    const seedOf = (id: string, v: number) => (s.augment ? augmentSeedOf(s.seed, v, id) : null);
    for (const [k, job] of jobs.entries()) {
      const ids: string[] = [],
        sha256: string[] = [],
        skipped: SkippedFile[] = [];
      const rows = new Float32Array((job.to - job.from) * V * C);
      let n = 0;
      // decode a teacher batch of images once, then render and label each of its views
      for (let at = job.from; at < job.to; at += a.teacherBatch) {
        const group: { id: string; img: ReturnType<typeof decodeImage> }[] = [];
        const files = list.files.slice(at, Math.min(job.to, at + a.teacherBatch));
        for (const id of files) {
          try {
            const bytes = fs.readFileSync(path.join(a.unlabeled, id));
            group.push({ id, img: decodeImage(bytes, id) });
            ids.push(id);
            sha256.push(sha256Hex(bytes));
          } catch (e) {
            skipped.push({ file: id, reason: (e as Error).message });
          }
        }
        for (let v = 0; v < V && group.length > 0; v++) {
          const logits = (await teacher.logits(stackImages(group.map((g) => renderView(g.img, seedOf(g.id, v), S))), list.classes))
            .data as Float32Array;
          group.forEach((_, i) => {
            rows.set(logits.subarray(i * C, (i + 1) * C), ((n + i) * V + v) * C);
          });
        }
        n += group.length;
        labelled += group.length * V;
        passed += files.length * V;
      }
      const rowData = rows.subarray(0, n * V * C);
      const blob = writeLabelFile(
        { ...header, range: job, skipped },
        {
          classFeatures,
          ids,
          sha256,
          logits: a.fp16 ? float32ToHalf(rowData) : rowData,
          test: null,
        },
      );
      const file = path.join(partsDir, `chunk-${job.from}-${job.to}.safetensors`);
      await writeBlobAtomic(file, blob);
      done.push(await readLabelPart(await fs.openAsBlob(file), file));
      progress(`chunk ${k + 1}/${jobs.length} (files ${job.from}..${job.to - 1}) written`);
    }
    if (wantTest) {
      const test = await labelTest(teacher, list, S);
      labelled += test.ids.length;
      passed += test.ids.length;
      const file = path.join(partsDir, 'test.safetensors');
      await writeBlobAtomic(
        file,
        writeLabelFile(
          { ...header, range: { from: range.from, to: range.from }, skipped: [] },
          {
            classFeatures,
            ids: [],
            sha256: [],
            logits: a.fp16 ? new Uint16Array(0) : new Float32Array(0),
            test,
          },
        ),
      );
      done.push(await readLabelPart(await fs.openAsBlob(file), file));
      progress(`the ${test.ids.length} test images' centre views written`);
    }
    await writeBlobAtomic(shardFile, joinLabelParts(done, header.shard, range, `shard ${index}/${count}`));
    fs.rmSync(partsDir, { recursive: true, force: true });
    const part = await readLabelPart(await fs.openAsBlob(shardFile), shardFile);
    return report(labelled, resumedChunks, part);
  } finally {
    await teacher.release();
  }
}

/** the test images' centre views, labelled */
async function labelTest(teacher: Teacher, list: Listing, S: number): Promise<LabelTest> {
  const t = list.test!,
    C = list.classes.length,
    ids: string[] = [],
    labels: number[] = [],
    sha256: string[] = [];
  const logits = new Float32Array(t.images.length * C);
  for (let at = 0; at < t.images.length; at += teacher.imageBatch) {
    const group = t.images.slice(at, at + teacher.imageBatch).map((im) => {
      const bytes = fs.readFileSync(path.join(t.dir, im.file));
      ids.push(im.file);
      labels.push(im.label);
      sha256.push(sha256Hex(bytes));
      return renderView(decodeImage(bytes, im.file), null, S);
    });
    logits.set((await teacher.logits(stackImages(group), list.classes)).data as Float32Array, at * C);
  }
  return { ids, labels, sha256, logits: hostTensor('float32', [ids.length, C], logits) };
}

export async function labelMerge(argv: readonly string[], log: (line: string) => void): Promise<number> {
  const fail = (m: string) => new LabelError(m);
  const [dir, ...rest] = argv;
  if (!dir || dir.startsWith('--')) throw new LabelError('usage: promptkd label merge LABELS_DIR --out FILE');
  const values = parseFlags(rest, { out: { type: 'string' } }, fail);
  if (!values.out) throw new LabelError('--out FILE is required');
  const parts = await readLabelFiles(dir);
  const merged = mergeLabelShards(parts);
  await writeBlobAtomic(values.out as string, merged);
  const h = parts[0]!.header;
  log(
    `merged ${parts.length} shard${parts.length > 1 ? 's' : ''}: ${parts.reduce((n, p) => n + p.ids.length, 0)} images × ${h.recipe.views} views, ${h.classes.length} classes, ${(merged.size / 1e6).toFixed(1)} MB`,
  );
  console.log(`done: ${values.out}`);
  return 0;
}

export async function labelCommand(argv: readonly string[]): Promise<number> {
  const log = (line: string) => console.error(line);
  if (argv[0] === 'merge') return labelMerge(argv.slice(1), log);
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(LABEL_USAGE);
    return 0;
  }
  const r = await runLabel(parseLabelArgs(argv), log);
  console.log(
    `done: shard ${r.shard.index}/${r.shard.count} in ${r.file}: ${r.images} images (${r.skipped} skipped), ${r.labelled} views labelled in this run` +
      `${r.resumedChunks ? ` (${r.resumedChunks} chunks were already written)` : ''}, ${r.seconds.toFixed(1)} s`,
  );
  return 0;
}
