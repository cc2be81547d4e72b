// stage1.* checks: one stage-1 teacher tuning step (PromptSRC: CE + L1 of both towers' features to
// zero-shot CLIP + KL to the zero-shot logits, SGD on the prompts of both towers) against the float64
// PyTorch reference of make_stage1_fixture.py. Shapes, depths, loss weights and optimiser settings
// come from the fixture's files, so any fixture of this layout is checked the same way.
import { loadClipWeights } from '../clip/weights.ts';
import {
  buildTeacherTuneStep,
  CE,
  EOT,
  KL_ZERO_SHOT,
  L1_IMAGE,
  L1_TEXT,
  LABELS,
  LOGITS,
  PIXELS,
  textPromptNames,
  TOKEN_EMBEDS,
  visionPromptNames,
  ZS_TEXT,
  type TeacherTuneLoss,
} from '../promptkd/teacher-graphs.ts';
import { planOfPrompts, teacherPromptsFromStateDict, teacherPromptStateDict } from '../promptkd/teacher-prompts.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { maxRelError, type Check } from './compare.ts';
import { FixtureError, fixtureSection, type FixtureSource } from './fixture-files.ts';

/** PromptKD loss, logits, grads and params in fp32 (docs/correctness.md); the teacher's step is held to the same */
export const STAGE1_TOLERANCE = 1e-4;

interface Stage1Meta {
  batch: number;
  n_classes: number;
  text_length: number;
  n_ctx: number;
  text_depth: number;
  vision_depth: number;
  prompt_names: string[];
  loss: { text_l1_weight: number; image_l1_weight: number; zero_shot_kl: boolean };
  optimizer: { kind: string; lr: number; momentum: number; weight_decay: number; nesterov: boolean; dampening: number };
}

function readMeta(m: Stage1Meta, file: string): Stage1Meta {
  const num = (v: unknown, key: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FixtureError(`${file}: ${key} is ${JSON.stringify(v)}, expected a number`);
  };
  for (const k of ['batch', 'n_classes', 'text_length', 'n_ctx', 'text_depth', 'vision_depth'] as const) num(m[k], k);
  for (const k of ['text_l1_weight', 'image_l1_weight'] as const) num(m.loss?.[k], `loss.${k}`);
  if (typeof m.loss.zero_shot_kl !== 'boolean') throw new FixtureError(`${file}: loss.zero_shot_kl must be true or false`);
  for (const k of ['lr', 'momentum', 'weight_decay', 'dampening'] as const) num(m.optimizer?.[k], `optimizer.${k}`);
  const o = m.optimizer;
  if (o.kind !== 'sgd' || o.nesterov || o.dampening !== 0 || !(o.momentum > 0)) {
    throw new FixtureError(
      `${file}: the layout needs plain SGD with momentum (no nesterov, dampening 0: the momentum buffers are ` +
        `inputs and outputs), the fixture asks for ${JSON.stringify(o)}`,
    );
  }
  if (!Array.isArray(m.prompt_names)) throw new FixtureError(`${file}: prompt_names must list the prompts`);
  return m;
}

export async function stage1Checks(src: FixtureSource, rt: Runtime): Promise<Check[]> {
  const section = await fixtureSection(src, 'stage1', ['inputs', 'expected'] as const);
  if (!section) return [];
  const meta = readMeta(section.meta as Stage1Meta, `${src.label}/stage1/meta.json`);
  const { cfg, model, files, get } = section;

  // the prompts take the path an imported PromptSRC checkpoint takes, which checks names, shapes and depths
  const prompts = teacherPromptsFromStateDict(files.inputs, cfg, `${src.label}/stage1/inputs.safetensors`);
  const plan = planOfPrompts(cfg, prompts);
  if (plan.nCtx !== meta.n_ctx || plan.textDepth !== meta.text_depth || plan.visionDepth !== meta.vision_depth) {
    throw new FixtureError(
      `${src.label}/stage1: the prompts are n_ctx ${plan.nCtx}, depths ${plan.textDepth}/${plan.visionDepth}; ` +
        `meta.json says ${meta.n_ctx}, ${meta.text_depth}/${meta.vision_depth}`,
    );
  }
  const loss: TeacherTuneLoss = {
    textL1Weight: meta.loss.text_l1_weight,
    imageL1Weight: meta.loss.image_l1_weight,
    zeroShotKl: meta.loss.zero_shot_kl,
  };
  const art = buildTeacherTuneStep(
    loadClipWeights(model, cfg),
    plan,
    { batch: meta.batch, nClasses: meta.n_classes, textLength: meta.text_length },
    loss,
    { momentum: meta.optimizer.momentum, weightDecay: meta.optimizer.weight_decay },
    { emitGradients: true },
  );
  if (JSON.stringify(art.trainable) !== JSON.stringify(meta.prompt_names)) {
    throw new FixtureError(
      `${src.label}/stage1: prompt_names ${JSON.stringify(meta.prompt_names)} differ from the step's ${JSON.stringify(art.trainable)}`,
    );
  }

  const feeds: Record<string, HostTensor> = {
    ...art.frozen,
    ...teacherPromptStateDict(prompts),
    [PIXELS]: get('inputs', 'pixels'),
    [LABELS]: get('inputs', 'labels'),
    [TOKEN_EMBEDS]: get('inputs', 'token_embeds'),
    [EOT]: get('inputs', 'eot'),
    [art.spec.lr]: hostTensor('float32', [], Float32Array.of(meta.optimizer.lr)),
  };
  if (art.graph.inputs.some((v) => v.name === ZS_TEXT)) feeds[ZS_TEXT] = get('inputs', 'zs_text');
  // the SGD state before the step: PyTorch's momentum_buffer, one per prompt
  for (const p of art.spec.params) for (const s of p.state) feeds[s.input] = get('inputs', `momentum_buffer.${p.name}`);

  const terms = ['loss', CE, ...[L1_TEXT, L1_IMAGE, KL_ZERO_SHOT].filter((t) => art.spec.extraOutputs.includes(t))];
  const session = await rt.load(art.graph);
  const ours = new Map<string, HostTensor>();
  try {
    const out = await session.run(feeds);
    for (const [name, t] of Object.entries(out)) ours.set(name, await t.read());
  } finally {
    await session.release();
  }
  const checks: Check[] = [];
  const check = (name: string, pairs: [HostTensor, HostTensor][]) =>
    checks.push({ name: `stage1.${name}`, maxRelError: maxRelError(pairs, name), tolerance: STAGE1_TOLERANCE });
  for (const t of [...terms, LOGITS]) check(t, [[ours.get(t)!, get('expected', t)]]);
  // each tower's prompts are judged together, on the largest reference value of that tower (the
  // towers' gradients differ in scale, so one scale for both would hide errors in the smaller)
  const outputsOf = new Map(art.spec.params.map((p) => [p.name, { grad: p.grad!, momentum_buffer: p.state[0]!.next, param: p.next }]));
  const towers = { text: textPromptNames(plan), vision: visionPromptNames(plan) };
  for (const [kind, ref] of [
    ['grads', 'grad'],
    ['momentum', 'momentum_buffer'],
    ['params', 'param'],
  ] as const) {
    for (const [tower, names] of Object.entries(towers)) {
      check(
        `${kind}_${tower}`,
        names.map((n) => [ours.get(outputsOf.get(n)![ref])!, get('expected', `${ref}.${n}`)]),
      );
    }
  }
  return checks;
}
