// The `promptkd` command line; bin/promptkd.mjs runs `main` through tsx.
//   promptkd distill --unlabeled DIR --student DIR --teacher DIR [--test DIR | --classes a,b,…] [options]
// Bad input ends the run with one line naming what was wrong, and exit status 1. The distillation's
// flags, their defaults and their help come from the settings table (engine/promptkd/run-settings.ts).
import path from 'node:path';
import { EVAL_PROTOCOLS, type EvalProtocol } from '../engine/promptkd/metrics.ts';
import { PAPER_SETTINGS, RUN_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { applyFlags, cliHelp, cliOptions } from '../engine/settings/table.ts';
import { BACKEND_HELP, parseBackend } from './backend.ts';
import { DATA_AND_TEACHER_FLAGS, listFlag, numberFlag, parseFlags } from './flags.ts';
import { formatEvaluation, type EvaluationSummary } from './evaluation-lines.ts';
import { REPORT_FILE, runDistill, type DistillArgs } from './promptkd-distill.ts';
import { formatSeedsTable, runSeeds } from './promptkd-seeds.ts';
import { demoFoldersCommand } from './demo-folders.ts';
import { labelCommand } from './label-command.ts';
import { teacherCommand } from './teacher-command.ts';

export const USAGE = `usage: promptkd distill --unlabeled DIR --student DIR (--teacher DIR | --teacher-labels L) [--test DIR | --classes a,b,... | --split FILE] [options]
       promptkd label ...   (teacher labels ahead of time, sharded: promptkd label --help)
       promptkd teacher ... (stage 1: tune the teacher's prompts: promptkd teacher --help)
       promptkd demo-folders --out DIR (the embedded demo as PNG folders and a CoOp split file)

  --unlabeled DIR     images to distill on (any PNG/JPEG below it; other files are skipped and listed)
  --test DIR          labeled test images, class_name/*.jpg; base/new/HM at each evaluation
  --classes a,b,...   class names in label order when there is no --test folder
  --split FILE        a CoOp split file (split_zhou_<Dataset>.json): its train list (paths under --unlabeled DIR)
                      is distilled on, its test list evaluated; its labels fix the class order and base/new
  --student DIR       student CLIP (Hugging Face folder: config.json + model.safetensors), or a Hub id
                      owner/name[@revision], downloaded into the cache (docs/downloads.md)
  --hub-token T       an access token for a gated or private Hub model (default: the HF_TOKEN variable)
  --teacher DIR       teacher CLIP, run zero-shot on "a photo of a {class}."
  --teacher-labels L  distill from teacher labels (\`promptkd label\`: a merged file or a folder of shards)
                      instead of a teacher model: the same run, without the teacher's image tower
  --teacher-prompts F tuned teacher prompts: safetensors (from \`promptkd teacher\`, or PromptSRC's names) or an
                      official PromptSRC/PromptKD checkpoint (model-best.pth.tar, model.pth.tar-20, .pth)
  --out DIR           run folder for ${REPORT_FILE}, checkpoint.safetensors and, at the end, student-prompts.pth.tar
                      (the student as a Dassl checkpoint for the official code) (default promptkd-run)
  --resume FILE       continue from a checkpoint (its settings are kept; --epochs may extend the run)
  --eval-batch N      student images per evaluation run (default 32)
  --protocol P        base2new (default): base/new/HM, the first half of the classes base;
                      cross-dataset: accuracy over all classes of the target dataset, no base/new split
                      (the paper's cross-dataset setting: a teacher tuned on ImageNet, --teacher-prompts)
  --seeds 1,2,3       one run per seed in --out/seed<N>/, then each seed's last evaluation and the
                      mean ± std (sample, n−1) printed and in --out/${REPORT_FILE}; replaces --seed
${BACKEND_HELP}
settings (the paper's defaults):
${cliHelp(RUN_SETTINGS, PAPER_SETTINGS).join('\n')}`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseDistillArgs(argv: readonly string[]): DistillArgs & { seeds?: number[] } {
  const options = {
    ...DATA_AND_TEACHER_FLAGS,
    student: { type: 'string' },
    'teacher-labels': { type: 'string' },
    out: { type: 'string', default: 'promptkd-run' },
    resume: { type: 'string' },
    'eval-batch': { type: 'string', default: '32' },
    protocol: { type: 'string', default: 'base2new' },
    seeds: { type: 'string' },
    ...cliOptions(RUN_SETTINGS),
  } as const;
  const usage = (m: string) => new UsageError(m);
  const values = parseFlags(argv, options, usage);
  for (const req of ['unlabeled', 'student'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
  const { settings, given } = applyFlags(RUN_SETTINGS, values, PAPER_SETTINGS, usage);
  if (values['teacher-labels']) {
    const model = ['teacher', 'teacher-prompts', 'teacher-fp16'].filter((k) => values[k] !== undefined);
    if (model.length)
      throw new UsageError(`--teacher-labels take the place of the teacher: leave ${model.map((k) => `--${k}`).join(' and ')} out`);
  } else if (!values.teacher) {
    throw new UsageError('--teacher DIR (a teacher CLIP) or --teacher-labels L (labels made by promptkd label) is required');
  }
  const evalBatch = numberFlag('eval-batch', values['eval-batch'] as string, true, usage);
  if (evalBatch < 1) throw new UsageError(`--eval-batch must be at least 1, got ${evalBatch}`);
  const protocol = values.protocol as string;
  if (!(EVAL_PROTOCOLS as readonly string[]).includes(protocol))
    throw new UsageError(`--protocol must be one of ${EVAL_PROTOCOLS.join(', ')}, got '${protocol}'`);
  let seeds: number[] | undefined;
  if (typeof values.seeds === 'string') {
    seeds = values.seeds.split(',').map((t) => numberFlag('seeds', t.trim(), true, usage));
    if (seeds.some((x) => x < 0)) throw new UsageError(`--seeds takes whole numbers from 0, got '${values.seeds}'`);
    if (new Set(seeds).size !== seeds.length) throw new UsageError(`--seeds names a seed twice: '${values.seeds}'`);
    if (given.includes('seed')) throw new UsageError('--seeds runs each seed it names; leave --seed out');
    if (values.resume)
      throw new UsageError(
        "--seeds starts one run per seed; resume a seed's run on its own (--resume <out>/seed<N>/checkpoint.safetensors)",
      );
  }
  const classes = listFlag(values.classes);
  return {
    unlabeled: values.unlabeled as string,
    test: values.test as string | undefined,
    split: values.split as string | undefined,
    classes,
    student: values.student as string,
    teacher: values.teacher as string | undefined,
    teacherPrompts: values['teacher-prompts'] as string | undefined,
    teacherLabels: values['teacher-labels'] as string | undefined,
    ...(values['hub-token'] ? { hubToken: values['hub-token'] as string } : {}),
    out: values.out as string,
    resume: values.resume as string | undefined,
    // the run's settings carry its protocol, as the studio's do
    settings: { ...settings, protocol: protocol as EvalProtocol },
    given: new Set(given),
    evalBatch,
    backend: parseBackend(values.backend, usage),
    protocol: protocol as EvalProtocol,
    seeds,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'teacher') return teacherCommand(rest);
  if (command === 'label') return labelCommand(rest);
  if (command === 'demo-folders') return demoFoldersCommand(rest);
  if (command !== 'distill') throw new UsageError(`unknown command '${command}'; the commands are: distill, teacher, label, demo-folders`);
  const args = parseDistillArgs(rest);
  if (args.seeds) {
    const seeds = await runSeeds(args, args.seeds, (line) => console.error(line));
    console.log(formatSeedsTable(seeds));
    console.log(`done: report in ${path.join(args.out, REPORT_FILE)} (each seed's run in ${path.join(args.out, 'seed<N>')})`);
    return 0;
  }
  const report = await runDistill(args, (line) => console.error(line));
  const final = report.final as { evaluation: EvaluationSummary | null };
  console.log(
    `done: report in ${path.join(args.out, REPORT_FILE)}${final.evaluation ? `; final ${formatEvaluation(final.evaluation)}` : ''}`,
  );
  return 0;
}
