// The `promptkd` command line; bin/promptkd.mjs runs `main` through tsx.
//   promptkd distill --unlabeled DIR --student DIR --teacher DIR [--test DIR | --classes a,b,…] [options]
// Bad input ends the run with one line naming what was wrong, and exit status 1. The distillation's
// flags, their defaults and their help come from the settings table (engine/promptkd/run-settings.ts).
import path from 'node:path';
import type { Evaluation } from '../engine/promptkd/metrics.ts';
import { PAPER_SETTINGS, RUN_SETTINGS } from '../engine/promptkd/run-settings.ts';
import { applyFlags, cliHelp, cliOptions } from '../engine/settings/table.ts';
import { BACKEND_HELP, parseBackend } from './backend.ts';
import { numberFlag, parseFlags } from './flags.ts';
import { formatEvaluation, REPORT_FILE, runDistill, type DistillArgs } from './promptkd-distill.ts';
import { teacherCommand } from './teacher-command.ts';

export const USAGE = `usage: promptkd distill --unlabeled DIR --student DIR --teacher DIR [--test DIR | --classes a,b,... | --split FILE] [options]

  --unlabeled DIR     images to distill on (any PNG/JPEG below it; other files are skipped and listed)
  --test DIR          labeled test images, class_name/*.jpg; base/new/HM at each evaluation
  --classes a,b,...   class names in label order when there is no --test folder
  --split FILE        a CoOp split file (split_zhou_<Dataset>.json): its train list (paths under --unlabeled DIR)
                      is distilled on, its test list evaluated; its labels fix the class order and base/new
  --student DIR       student CLIP (Hugging Face folder: config.json + model.safetensors)
  --teacher DIR       teacher CLIP, run zero-shot on "a photo of a {class}."
  --teacher-prompts F tuned teacher prompts (safetensors from \`promptkd teacher\` or PromptSRC names)
  --out DIR           run folder for ${REPORT_FILE} and checkpoint.safetensors (default promptkd-run)
  --resume FILE       continue from a checkpoint (its settings are kept; --epochs may extend the run)
  --eval-batch N      student images per evaluation run (default 32)
${BACKEND_HELP}
settings (the paper's defaults):
${cliHelp(RUN_SETTINGS, PAPER_SETTINGS).join('\n')}`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseDistillArgs(argv: readonly string[]): DistillArgs {
  const options = {
    unlabeled: { type: 'string' }, test: { type: 'string' }, classes: { type: 'string' }, split: { type: 'string' }, student: { type: 'string' },
    teacher: { type: 'string' }, 'teacher-prompts': { type: 'string' }, out: { type: 'string', default: 'promptkd-run' }, resume: { type: 'string' },
    'eval-batch': { type: 'string', default: '32' }, backend: { type: 'string', default: 'cpu' },
    ...cliOptions(RUN_SETTINGS),
  } as const;
  const usage = (m: string) => new UsageError(m);
  const values = parseFlags(argv, options, usage);
  for (const req of ['unlabeled', 'student', 'teacher'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
  const { settings, given } = applyFlags(RUN_SETTINGS, values, PAPER_SETTINGS, usage);
  const evalBatch = numberFlag('eval-batch', values['eval-batch'] as string, true, usage);
  if (evalBatch < 1) throw new UsageError(`--eval-batch must be at least 1, got ${evalBatch}`);
  const classes = typeof values.classes === 'string' ? values.classes.split(',').map((c) => c.trim()).filter(Boolean) : undefined;
  return {
    unlabeled: values.unlabeled as string, test: values.test as string | undefined, split: values.split as string | undefined, classes,
    student: values.student as string, teacher: values.teacher as string, teacherPrompts: values['teacher-prompts'] as string | undefined, out: values.out as string,
    resume: values.resume as string | undefined, settings, given: new Set(given), evalBatch, backend: parseBackend(values.backend, usage),
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
