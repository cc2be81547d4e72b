// scripts/slurm/label.sbatch on a real (one-node, throw-away) Slurm cluster: a 4-task job array
// labels the demo folder, one shard per task from Slurm's own variables; a distillation from those
// labels trains exactly as the online one, and merging the shards gives the bytes of one
// `label --shard 0/1` run. CI installs Debian's slurm-wlm and munge (.ci/run); elsewhere this skips,
// saying why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoFolders } from '../../src/cli/demo-folders.ts';
import { runPromptkd } from '../../src/cli/run-cli.testkit.ts';
import { findSlurm, SlurmCluster } from './cluster.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHARDS = 4;

const found = findSlurm();
if ('reason' in found) console.warn(`skipping the Slurm job-array test: ${found.reason}`);

interface Report {
  steps: { step: number; loss: number; lr: number }[];
  final: { evaluation: unknown };
}
const readReport = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;

describe.skipIf('reason' in found)('label.sbatch as a Slurm job array', () => {
  const cluster = new SlurmCluster();
  let tmp = '';
  let demo = { images: '', split: '' };
  const teacher = [
    '--teacher',
    path.join(ROOT, 'models/demo-teacher'),
    '--teacher-prompts',
    path.join(ROOT, 'models/demo-teacher/prompts.safetensors'),
  ];
  const labelFlags = () => ['--unlabeled', demo.images, '--split', demo.split, ...teacher, '--no-augment'];
  const distillFlags = () => [
    '--unlabeled',
    demo.images,
    '--split',
    demo.split,
    '--student',
    path.join(ROOT, 'models/demo-student'),
    '--epochs',
    '1',
    '--batch-size',
    '32',
    '--lr',
    '5e-4',
    '--depth',
    '2',
    '--eval-every',
    '25',
    '--ckpt-every',
    '25',
    '--no-augment',
    '--seed',
    '7',
    '--eval-batch',
    '100',
  ];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-slurm-test-'));
    demo = await writeDemoFolders(path.join(tmp, 'demo'));
    await cluster.start();
  }, 60_000);

  // each daemon gets up to 5 s to stop before it is killed: more than a hook's default 10 s
  afterAll(async () => {
    await cluster.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('labels one shard per array task; distilling from them equals the online run; their merge is the one-machine file', async () => {
    const labels = path.join(tmp, 'labels'),
      logs = path.join(tmp, 'slurm-logs');
    fs.mkdirSync(logs);
    // a shard variable of another job engine in our own environment would make every task refuse to guess
    const env = { ...cluster.env, JOB_COMPLETION_INDEX: undefined, AWS_BATCH_JOB_ARRAY_INDEX: undefined };
    const job = await cluster.run(
      'sbatch',
      [
        '--wait',
        `--array=0-${SHARDS - 1}`,
        `--output=${logs}/label-%A_%a.out`,
        'scripts/slurm/label.sbatch',
        ...labelFlags(),
        '--out',
        labels,
      ],
      { cwd: ROOT, env, timeoutMs: 150_000 },
    );
    const taskLogs = fs
      .readdirSync(logs)
      .sort()
      .map((f) => fs.readFileSync(path.join(logs, f), 'utf8'));
    expect(job.code, `sbatch --wait failed: ${job.stderr}\n${taskLogs.join('\n')}`).toBe(0);

    expect(
      fs
        .readdirSync(labels)
        .filter((f) => f.endsWith('.safetensors'))
        .sort(),
    ).toEqual(Array.from({ length: SHARDS }, (_, i) => `shard-${i}-of-${SHARDS}.safetensors`));
    // each task says which shard it took and from which variable: all four, once each
    expect(taskLogs).toHaveLength(SHARDS);
    const shardsNamed = taskLogs.map((log) => Number(/^shard (\d+)\/4 \(SLURM_ARRAY_TASK_ID=\d+\)/m.exec(log)?.[1]));
    expect(shardsNamed.sort()).toEqual([0, 1, 2, 3]);

    const fromLabels = path.join(tmp, 'run-from-labels'),
      online = path.join(tmp, 'run-online');
    for (const [out, teacherFlags] of [
      [fromLabels, ['--teacher-labels', labels]],
      [online, teacher],
    ] as const) {
      const r = await runPromptkd(tmp, 'distill', ...distillFlags(), ...teacherFlags, '--out', out);
      expect(r.code, r.stderr).toBe(0);
    }
    const [a, b] = [readReport(fromLabels), readReport(online)];
    expect(a.steps.length).toBeGreaterThan(0);
    expect(a.steps.map((s) => s.loss)).toEqual(b.steps.map((s) => s.loss));
    expect(a.final.evaluation).toEqual(b.final.evaluation);

    const merged = path.join(tmp, 'merged.safetensors'),
      whole = path.join(tmp, 'labels-whole');
    const merge = await runPromptkd(tmp, 'label', 'merge', labels, '--out', merged);
    expect(merge.code, merge.stderr).toBe(0);
    const one = await runPromptkd(tmp, 'label', ...labelFlags(), '--shard', '0/1', '--out', whole);
    expect(one.code, one.stderr).toBe(0);
    expect(fs.readFileSync(merged).equals(fs.readFileSync(path.join(whole, 'shard-0-of-1.safetensors')))).toBe(true);
  }, 180_000);
});
