import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClipConfig } from '../clip/config.ts';
import { writeSafetensors } from '../clip/safetensors.ts';
import { rng } from '../random.ts';
import { hostTensor } from '../graph/tensor.ts';
import { writeDasslCheckpoint } from '../torch/checkpoint.ts';
import { CountingBlob } from '../torch/torch.testkit.ts';
import {
  exportTeacherPrompts,
  importTeacherPrompts,
  initTeacherPrompts,
  planTeacherPrompts,
  teacherPromptStateDict,
  teacherPromptStateId,
  teacherPromptsFromStateDict,
  teacherPromptTemplate,
} from './teacher-prompts.ts';

const cfg = parseClipConfig(JSON.parse(readFileSync('test-data/fixtures/clip-tiny-a/config.json', 'utf8')));
const wt = cfg.text.width,
  wv = cfg.vision.width;

const phrase = (k: number) =>
  hostTensor(
    'float32',
    [k, wt],
    Float32Array.from({ length: k * wt }, (_, i) => i / 7),
  );

describe('teacher prompt plan', () => {
  it('clamps the depth to each tower with a note', () => {
    const plan = planTeacherPrompts(cfg, { nCtx: 4, depth: 9 });
    expect(plan.textDepth).toBe(cfg.text.layers);
    expect(plan.visionDepth).toBe(cfg.vision.layers);
    expect(plan.notes.join('\n')).toMatch(
      `prompt depth 9 clamped to ${cfg.text.layers}: the teacher's text tower has only ${cfg.text.layers} blocks`,
    );
    expect(planTeacherPrompts(cfg, { nCtx: 2, depth: 1 }).notes).toEqual([]);
  });

  it('rejects nonsense sizes', () => {
    expect(() => planTeacherPrompts(cfg, { nCtx: 0, depth: 3 })).toThrow(/n_ctx must be a positive integer/);
    expect(() => planTeacherPrompts(cfg, { nCtx: 80, depth: 3 })).toThrow(/no room for a class name/);
  });

  it('uses the init phrase for short contexts and X placeholders for long ones', () => {
    expect(teacherPromptTemplate(4)).toBe('a photo of a {}.');
    expect(teacherPromptTemplate(2)).toBe('a photo of a {}.');
    expect(teacherPromptTemplate(6)).toBe('X X X X X X {}.');
  });
});

describe('teacher prompt init', () => {
  it('seeds the text context from the phrase embedding and the rest from N(0, 0.02²)', () => {
    const plan = planTeacherPrompts(cfg, { nCtx: 2, depth: 2 });
    const p = initTeacherPrompts(plan, phrase(4), rng(1));
    expect(p.textCtx.shape).toEqual([2, wt]);
    expect(Array.from(p.textCtx.data as Float32Array)).toEqual(Array.from((phrase(4).data as Float32Array).subarray(0, 2 * wt)));
    expect(p.textDeep.map((t) => t.shape)).toEqual([[2, wt]]);
    expect(p.visionDeep.map((t) => t.shape)).toEqual([[2, wv]]);
    const v = Array.from(p.visionShallow.data as Float32Array);
    const sd = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(sd).toBeGreaterThan(0.01);
    expect(sd).toBeLessThan(0.04);
  });

  it('is reproducible from the seed', () => {
    const plan = planTeacherPrompts(cfg, { nCtx: 4, depth: 3 });
    const a = teacherPromptStateId(initTeacherPrompts(plan, phrase(4), rng(7)));
    expect(teacherPromptStateId(initTeacherPrompts(plan, phrase(4), rng(7)))).toBe(a);
    expect(teacherPromptStateId(initTeacherPrompts(plan, phrase(4), rng(8)))).not.toBe(a);
  });
});

describe('teacher prompt files', () => {
  const plan = planTeacherPrompts(cfg, { nCtx: 4, depth: 9 });
  const prompts = initTeacherPrompts(plan, phrase(4), rng(3));

  it('round-trips through safetensors under the PromptSRC names', async () => {
    const bytes = exportTeacherPrompts(prompts);
    const back = await importTeacherPrompts(new Blob([bytes]), cfg);
    const names = Object.keys(teacherPromptStateDict(back)).sort();
    expect(names).toEqual(
      [
        'image_encoder.VPT',
        ...Array.from({ length: plan.visionDepth - 1 }, (_, i) => `image_encoder.transformer.resblocks.${i + 1}.VPT_shallow`),
        'prompt_learner.ctx',
        ...Array.from({ length: plan.textDepth - 1 }, (_, i) => `text_encoder.transformer.resblocks.${i + 1}.VPT_shallow`),
      ].sort(),
    );
    for (const [name, t] of Object.entries(teacherPromptStateDict(prompts))) {
      expect(Array.from(teacherPromptStateDict(back)[name]!.data as Float32Array), name).toEqual(Array.from(t.data as Float32Array));
    }
    expect(teacherPromptStateId(back)).toBe(teacherPromptStateId(prompts));
  });

  it('ignores other tensors of a whole checkpoint', () => {
    const dict = new Map(Object.entries(teacherPromptStateDict(prompts)));
    dict.set('prompt_learner.token_prefix', hostTensor('float32', [3, 1, wt]));
    dict.set('logit_scale', hostTensor('float32', []));
    expect(teacherPromptsFromStateDict(dict, cfg).textDeep.length).toBe(plan.textDepth - 1);
  });

  it('names the tensor and both widths when the file was made for another teacher', async () => {
    const wide = exportTeacherPrompts({ ...prompts, textCtx: hostTensor('float32', [4, wt + 8]) });
    await expect(importTeacherPrompts(new Blob([wide]), cfg, 'cats.safetensors')).rejects.toThrow(
      `cats.safetensors: 'prompt_learner.ctx' has width ${wt + 8} but the teacher's text width is ${wt}: these prompts were made for another teacher`,
    );
  });

  it('rejects a vision prompt of the wrong width, a depth past the tower and a missing tensor', () => {
    const dict = new Map(Object.entries(teacherPromptStateDict(prompts)));
    dict.set('image_encoder.VPT', hostTensor('float32', [4, wv - 1]));
    expect(() => teacherPromptsFromStateDict(dict, cfg)).toThrow(
      `'image_encoder.VPT' has width ${wv - 1} but the teacher's vision width is ${wv}`,
    );
    const deep = new Map(Object.entries(teacherPromptStateDict(prompts)));
    deep.set(`text_encoder.transformer.resblocks.${cfg.text.layers}.VPT_shallow`, hostTensor('float32', [4, wt]));
    expect(() => teacherPromptsFromStateDict(deep, cfg)).toThrow(/text deep prompts reach block \d+ but the teacher's text tower has/);
    const missing = new Map(Object.entries(teacherPromptStateDict(prompts)));
    missing.delete('image_encoder.VPT');
    expect(() => teacherPromptsFromStateDict(missing, cfg)).toThrow(/'image_encoder.VPT' missing/);
  });

  it('says so when the file is neither safetensors nor a PyTorch checkpoint', async () => {
    await expect(importTeacherPrompts(new Blob([new Uint8Array([1, 2, 3])]), cfg)).rejects.toThrow(
      /^prompt file: not a readable safetensors file \(.*\); prompt files are safetensors or PyTorch checkpoints \(\.pth, \.pth\.tar\)$/,
    );
  });

  it('imports a PromptSRC checkpoint (Dassl layout, found by its first bytes), reading only the prompts', async () => {
    const dict = new Map(Object.entries(teacherPromptStateDict(prompts)));
    dict.set('prompt_learner.token_prefix', hostTensor('float32', [10, 1, wt]));
    dict.set('prompt_learner.token_suffix', hostTensor('float32', [10, 72, wt]));
    dict.set('image_encoder.transformer.resblocks.0.mlp.c_fc.weight', hostTensor('float32', [1024, 1024]));
    const file = new CountingBlob([writeDasslCheckpoint(dict, 20)]);
    const back = await importTeacherPrompts(file, cfg, 'model-best.pth.tar');
    expect(teacherPromptStateId(back)).toBe(teacherPromptStateId(prompts));
    const promptBytes = Object.values(teacherPromptStateDict(prompts)).reduce((n, t) => n + t.data.byteLength, 0);
    expect(file.size).toBeGreaterThan(4 * 2 ** 20);
    expect(file.read).toBeLessThan(promptBytes + 8192);
  });

  it('reads only the prompts of a safetensors file that holds more', async () => {
    const big = writeSafetensors({ ...teacherPromptStateDict(prompts), 'visual.conv1.weight': hostTensor('float32', [512, 1024]) });
    const file = new CountingBlob([big]);
    expect(teacherPromptStateId(await importTeacherPrompts(file, cfg))).toBe(teacherPromptStateId(prompts));
    expect(file.read).toBeLessThan(64 * 1024);
  });

  it("passes on the checkpoint reader's reason", async () => {
    const legacy = Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e);
    await expect(importTeacherPrompts(new Blob([legacy]), cfg, 'old.pth')).rejects.toThrow(
      /^old\.pth: not a readable PyTorch checkpoint \(this checkpoint is in PyTorch's legacy format .*save it again with torch\.save\(obj, path\)\)$/,
    );
  });
});
