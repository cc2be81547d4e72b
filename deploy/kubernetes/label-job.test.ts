// deploy/kubernetes/label-job.yaml without a cluster: the fields the Job API requires and the
// Indexed Job's, the GPU and the shared claim, and that every completion index's pod would label
// its own shard: the container's `label` flags go through promptkd's own parser (src/cli/label-command.ts)
// with the JOB_COMPLETION_INDEX that Kubernetes sets.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseLabelArgs } from '../../src/cli/label-command.ts';
import { shardOf } from '../../src/cli/shard.ts';

const FILE = path.join(import.meta.dirname, 'label-job.yaml');

interface Container {
  name?: string;
  image?: string;
  workingDir?: string;
  command?: unknown[];
  args?: unknown[];
  resources?: { limits?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy?: string;
  containers?: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}
interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    completionMode?: string;
    completions?: unknown;
    parallelism?: unknown;
    backoffLimit?: unknown;
    backoffLimitPerIndex?: unknown;
    podFailurePolicy?: unknown;
    accessModes?: string[];
    template?: { spec?: PodSpec };
  };
}

function readManifests(): Manifest[] {
  const docs = parseAllDocuments(fs.readFileSync(FILE, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${FILE} holds no YAML documents`);
  for (const d of docs) if (d.errors.length) throw new Error(`${FILE}: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Manifest).filter(Boolean);
}

const manifests = readManifests();
const job = manifests.find((m) => m.kind === 'Job')!;
const pod = job.spec!.template!.spec!;
const container = pod.containers![0]!;
const completions = job.spec!.completions as number;
const commandLine = [...(container.command ?? []), ...(container.args ?? [])] as string[];
/** the flags after `label`: what parseLabelArgs gets in the pod */
const labelArgs = commandLine.slice(commandLine.indexOf('label') + 1);
const flag = (name: string) => labelArgs[labelArgs.indexOf(name) + 1];

describe('the Kubernetes labelling Job', () => {
  it('has the fields the Job API requires', () => {
    expect(job).toBeDefined();
    expect(job.apiVersion).toBe('batch/v1');
    // a DNS label: an Indexed Job's pods take it into their hostnames
    expect(job.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(pod.containers).toHaveLength(1);
    expect(container.name).toBeTruthy();
    expect(container.image).toBeTruthy();
    // a Job's pods may not use Always; the per-index retries and the failure policy need Never
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    if (job.spec!.backoffLimitPerIndex !== undefined || job.spec!.podFailurePolicy !== undefined) expect(pod.restartPolicy).toBe('Never');
    // Kubernetes takes command and args as strings only: an unquoted 4 in YAML is a number and is refused
    for (const a of commandLine) expect(typeof a, `command/args item ${String(a)}`).toBe('string');
  });

  it('is an Indexed Job with one shard per completion', () => {
    expect(job.spec!.completionMode).toBe('Indexed');
    expect(Number.isInteger(completions) && completions >= 1).toBe(true);
    const parallelism = job.spec!.parallelism as number;
    expect(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= completions).toBe(true);
    const retries = job.spec!.backoffLimitPerIndex ?? job.spec!.backoffLimit;
    expect(Number.isInteger(retries) && (retries as number) >= 0).toBe(true);
    expect(commandLine.slice(0, 3)).toEqual(['node', 'bin/promptkd.mjs', 'label']);
    expect(flag('--shards')).toBe(String(completions));
    expect(flag('--backend')).toBe('cuda');
  });

  it('takes one GPU and a ReadWriteMany claim that holds the checkout, the inputs and the output', () => {
    expect(Number(container.resources?.limits?.['nvidia.com/gpu'])).toBe(1);
    const volume = pod.volumes?.find((v) => v.persistentVolumeClaim);
    const claim = manifests.find(
      (m) => m.kind === 'PersistentVolumeClaim' && m.metadata?.name === volume?.persistentVolumeClaim?.claimName,
    );
    expect(claim?.spec?.accessModes).toContain('ReadWriteMany');
    const mount = container.volumeMounts?.find((m) => m.name === volume!.name);
    expect(mount).toBeDefined();
    const onVolume = (p: string | undefined) => p !== undefined && path.posix.isAbsolute(p) && `${p}/`.startsWith(`${mount!.mountPath}/`);
    expect(onVolume(container.workingDir), `workingDir ${container.workingDir}`).toBe(true);
    for (const f of ['--unlabeled', '--split', '--teacher', '--teacher-prompts', '--out']) {
      if (labelArgs.includes(f)) expect(onVolume(flag(f)), `${f} ${flag(f)}`).toBe(true);
    }
  });

  it('gives the pod of completion index i shard i of N, and promptkd label accepts its flags', () => {
    for (let i = 0; i < completions; i++) {
      const env = { JOB_COMPLETION_INDEX: String(i) };
      expect(shardOf(undefined, completions, env)).toMatchObject({ index: i, count: completions });
      const parsed = parseLabelArgs(labelArgs, env);
      expect(parsed.shard).toMatchObject({ index: i, count: completions });
      expect(parsed.backend).toBe('cuda');
      expect(parsed.out).toBe(flag('--out'));
    }
    // the index comes from Kubernetes only: outside a Job's pod the same flags are refused
    expect(() => parseLabelArgs(labelArgs, {})).toThrow(`--shards ${completions} needs a shard index`);
  });
});
