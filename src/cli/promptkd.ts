// The `promptkd` command line; bin/promptkd.mjs runs `main` through tsx.
//   promptkd distill --unlabeled DIR --student DIR --teacher DIR [--test DIR | --classes a,b,…] [options]
// Bad input ends the run with one line naming what was wrong, and exit status 1.
import path from 'node:path';
import { PAPER_CONFIG, type DistillConfig } from '../engine/promptkd/config.ts';
import type { Evaluation } from '../engine/promptkd/metrics.ts';
import { formatEvaluation, REPORT_FILE, runDistill } from './promptkd-distill.ts';
import { BACKEND_HELP, parseBackend } from './backend.ts';
import { applyNumberFlags, numberFlag, parseFlags } from './flags.ts';
import { teacherCommand } from './teacher-command.ts';

const HYPER_FLAGS: Record<string, keyof DistillConfig> = {
  'n-ctx': 'nCtx', depth: 'depth', temperature: 'temperature', 'kd-weight': 'kdWeight', 'logit-scale': 'logitScale',
  lr: 'lr', momentum: 'momentum', 'weight-decay': 'weightDecay', 'bn-momentum': 'bnMomentum', 'bn-eps': 'bnEps',
  'batch-size': 'batchSize', epochs: 'epochs', 'warmup-epochs': 'warmupEpochs', 'warmup-lr': 'warmupLr', seed: 'seed',
};

const INTEGER_FLAGS = new Set<keyof DistillConfig>(['nCtx', 'depth', 'batchSize', 'epochs', 'warmupEpochs', 'seed']);

export const USAGE = `usage: promptkd distill --unlabeled DIR --student DIR --teacher DIR [--test DIR | --classes a,b,...] [options]

  --unlabeled DIR     images to distill on (any PNG/JPEG below it; other files are skipped and listed)
  --test DIR          labeled test images, class_name/*.jpg; base/new/HM at each evaluation
  --classes a,b,...   class names in label order when there is no --test folder
  --student DIR       student CLIP (Hugging Face folder: config.json + model.safetensors)
  --teacher DIR       teacher CLIP, run zero-shot on "a photo of a {class}."
  --teacher-prompts F tuned teacher prompts (safetensors from \`promptkd teacher\` or PromptSRC names)
  --out DIR           run folder for ${REPORT_FILE} and checkpoint.safetensors (default promptkd-run)
  --resume FILE       continue from a checkpoint (its settings are kept; --epochs may extend the run)
  --no-augment        train on the centre view only (the teacher then runs once per image)
  --teacher-fp16      the teacher's image tower in float16: half its memory; faster on GPUs with shader-f16
  --eval-every N      evaluate every N epochs (default 1); --eval-batch N (default 32)
${BACKEND_HELP}
hyperparameters (paper defaults): ${Object.entries(HYPER_FLAGS).map(([f, k]) => `--${f} ${PAPER_CONFIG[k]}`).join(' ')}`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseDistillArgs(argv: readonly string[]) {
  const options = {
    unlabeled: { type: 'string' }, test: { type: 'string' }, classes: { type: 'string' }, student: { type: 'string' },
    teacher: { type: 'string' }, 'teacher-prompts': { type: 'string' }, out: { type: 'string', default: 'promptkd-run' }, resume: { type: 'string' },
    'no-augment': { type: 'boolean', default: false }, 'eval-every': { type: 'string', default: '1' }, 'eval-batch': { type: 'string', default: '32' },
    backend: { type: 'string', default: 'cpu' }, 'teacher-fp16': { type: 'boolean', default: false },
    ...Object.fromEntries(Object.keys(HYPER_FLAGS).map((f) => [f, { type: 'string' }])),
  } as const;
  const usage = (m: string) => new UsageError(m);
  const values = parseFlags(argv, options, usage);
  for (const req of ['unlabeled', 'student', 'teacher'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
  const config: DistillConfig = { ...PAPER_CONFIG, augment: !values['no-augment'] };
  const given = applyNumberFlags(values, HYPER_FLAGS, INTEGER_FLAGS, config as unknown as Record<keyof DistillConfig, unknown>, usage);
  if (values['no-augment']) given.add('augment');
  const positive = (flag: string) => {
    const v = numberFlag(flag, values[flag] as string, true, usage);
    if (v < 1) throw new UsageError(`--${flag} must be at least 1, got ${v}`);
    return v;
  };
  const classes = typeof values.classes === 'string' ? values.classes.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
  return {
    unlabeled: values.unlabeled as string, test: values.test as string | undefined, classes,
    student: values.student as string, teacher: values.teacher as string, teacherPrompts: values['teacher-prompts'] as string | undefined, out: values.out as string,
    resume: values.resume as string | undefined, config, given, evalEvery: positive('eval-every'), evalBatch: positive('eval-batch'),
    backend: parseBackend(values.backend, usage), teacherPrecision: values['teacher-fp16'] ? 'float16' as const : 'float32' as const,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'teacher') return teacherCommand(rest);
  if (command !== 'distill') throw new UsageError(`unknown command '${command}'; the commands are: distill, teacher`);
  const args = parseDistillArgs(rest);
  const report = await runDistill(args, (line) => console.error(line));
  const final = report.final as { evaluation: Evaluation | null };
  console.log(`done: report in ${path.join(args.out, REPORT_FILE)}${final.evaluation ? `; final ${formatEvaluation(final.evaluation)}` : ''}`);
  return 0;
}
