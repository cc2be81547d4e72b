// The checkpoint reader and writer against real PyTorch (torch_reference.py): our student export
// loads with torch.load(weights_only=True) into a module shaped like PromptKD's student; checkpoints
// torch.save writes (PromptSRC's Dassl layout with frozen weights, fp16/bf16, views) read back with
// the same values; pickles that run commands under Python's pickle are refused and run nothing.
// CI installs Debian's python3-torch (.ci/run); elsewhere these tests skip, saying why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseClipConfig } from '../clip/config.ts';
import { writeStudentPromptsPth } from '../promptkd/student-prompts.ts';
import { initStudentState, type StudentDims } from '../promptkd/state.ts';
import { importTeacherPrompts, teacherPromptStateDict } from '../promptkd/teacher-prompts.ts';
import { rng } from '../random.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { readTorchCheckpoint } from './checkpoint.ts';
import type { PyDict, PyObject } from './pickle.ts';
import { CountingBlob, findTorchPython } from './torch.testkit.ts';

const SCRIPT = path.join(import.meta.dirname, 'torch_reference.py');

const found = findTorchPython();
const python = 'python' in found ? found.python : null;
if (!python) console.warn(`skipping the PyTorch checkpoint tests: ${'reason' in found ? found.reason : ''}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'promptkd-torch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runPython(...args: string[]): string {
  const r = spawnSync(python!, [SCRIPT, ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`torch_reference.py ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface Described {
  dtype: string;
  shape: number[];
  values: number[];
}
const valuesOf = (t: HostTensor) => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe.skipIf(!python)('with PyTorch', () => {
  it("loads our student export with torch.load(weights_only=True) into PromptKD's student layout, values exact", () => {
    const dims: StudentDims = { nCtx: 4, depth: 3, width: 48, embedDim: 24, teacherDim: 32 };
    const state = initStudentState(dims, rng(11));
    const random = rng(12);
    (state.runningMean.data as Float32Array).set(Float32Array.from({ length: 32 }, () => random.normal()));
    (state.runningVar.data as Float32Array).set(Float32Array.from({ length: 32 }, () => 0.5 + random.uniform(0, 1)));
    const file = path.join(tmp, 'student-prompts.pth.tar');
    fs.writeFileSync(file, writeStudentPromptsPth(state, { depth: dims.depth, epoch: 2, step: 14 }));
    const got = JSON.parse(runPython('load', file)) as {
      top: string[];
      epoch: number;
      optimizer: null;
      scheduler: null;
      keys: string[];
      tensors: Record<string, Described>;
      strictLoad: boolean;
    };
    expect(got.top).toEqual(['state_dict', 'epoch', 'optimizer', 'scheduler']);
    expect([got.epoch, got.optimizer, got.scheduler]).toEqual([2, null, null]);
    expect(got.keys).toEqual([
      'image_encoder.VPT',
      'image_encoder.transformer.resblocks.1.VPT_shallow',
      'image_encoder.transformer.resblocks.2.VPT_shallow',
      'VPT_image_trans.conv1.0.weight',
      'VPT_image_trans.conv1.0.bias',
      'VPT_image_trans.conv1.1.weight',
      'VPT_image_trans.conv1.1.bias',
      'VPT_image_trans.conv1.1.running_mean',
      'VPT_image_trans.conv1.1.running_var',
      'VPT_image_trans.conv1.1.num_batches_tracked',
      'VPT_image_trans.conv1.3.weight',
      'VPT_image_trans.conv1.3.bias',
    ]);
    // load_state_dict(strict=True) into the module passed, and its own key order is ours
    expect(got.strictLoad).toBe(true);
    const ours = new Map<string, HostTensor>([
      ...state.params,
      ['VPT_image_trans.conv1.1.running_mean', state.runningMean],
      ['VPT_image_trans.conv1.1.running_var', state.runningVar],
    ]);
    for (const [name, t] of ours) {
      expect(got.tensors[name], name).toEqual({ dtype: 'float32', shape: t.shape, values: valuesOf(t) });
    }
    expect(got.tensors['VPT_image_trans.conv1.1.num_batches_tracked']).toEqual({ dtype: 'int64', shape: [], values: [14] });
  });

  it('imports the prompts of a PromptSRC checkpoint written by torch.save, reading only their bytes', async () => {
    const cfg = parseClipConfig(JSON.parse(fs.readFileSync('test-data/fixtures/clip-tiny-a/config.json', 'utf8')));
    const dir = fs.mkdtempSync(path.join(tmp, 'promptsrc-'));
    runPython('promptsrc', dir, String(cfg.text.width), String(cfg.vision.width), '4', '2', '24');
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
      prompts: Record<string, Described>;
      promptBytes: number;
      fileBytes: number;
      stateDictKeys: string[];
    };
    const blob = new CountingBlob([fs.readFileSync(path.join(dir, 'model-best.pth.tar'))]);
    expect(blob.size).toBe(expected.fileBytes);
    expect(blob.size).toBeGreaterThan(24 * 2 ** 20);

    const prompts = await importTeacherPrompts(blob, cfg, 'model-best.pth.tar');
    const dict = teacherPromptStateDict(prompts);
    expect(Object.keys(dict).sort()).toEqual(Object.keys(expected.prompts).sort());
    for (const [name, t] of Object.entries(dict))
      expect({ shape: t.shape, values: valuesOf(t) }, name).toEqual({
        shape: expected.prompts[name]!.shape,
        values: expected.prompts[name]!.values,
      });
    console.log(`PromptSRC checkpoint of ${blob.size} bytes: ${blob.read} bytes read to import ${expected.promptBytes} bytes of prompts`);
    // the end of the file, the directory and data.pkl (with the optimizer and scheduler state), then
    // the prompt tensors with their local headers: never the frozen weights or the token buffers
    expect(blob.read).toBeLessThan(expected.promptBytes + 64 * 1024);

    // the rest of the Dassl checkpoint is described, not read: epoch, val_result, the scheduler's successor
    const ckpt = await readTorchCheckpoint(new Blob([fs.readFileSync(path.join(dir, 'model-best.pth.tar'))]));
    const root = ckpt.root as PyDict;
    expect([...root.map.keys()]).toEqual(['state_dict', 'epoch', 'optimizer', 'scheduler', 'val_result']);
    expect([root.map.get('epoch'), root.map.get('val_result')]).toEqual([20, 81.25]);
    expect([...ckpt.tensors.keys()]).toEqual(expected.stateDictKeys);
    const successor = (root.map.get('scheduler') as PyDict).map.get('successor') as PyObject;
    expect(successor.cls.qualifiedName).toBe('torch.optim.lr_scheduler.CosineAnnealingLR');
    expect(((successor.state as PyDict).map.get('optimizer') as PyObject).cls.qualifiedName).toBe('torch.optim.sgd.SGD');
  });

  it('reads fp16, bf16, fp64, integer and bool tensors and views with offsets and strides (pickle protocols 2 and 4)', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'views-'));
    runPython('views', dir);
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, Described>;
    const wide: Record<string, string> = { float16: 'float32', bfloat16: 'float32', bool: 'bool' };
    for (const file of ['views-p2.pth', 'views-p4.pth']) {
      const ckpt = await readTorchCheckpoint(await fs.openAsBlob(path.join(dir, file)));
      expect([...ckpt.tensors.keys()], file).toEqual(Object.keys(expected));
      expect(ckpt.tensors.get('slice')).toMatchObject({ storageOffset: 8, shape: [3, 3], stride: [6, 1] });
      expect(ckpt.tensors.get('t')!.storage).toBe(ckpt.tensors.get('base')!.storage);
      const all = await ckpt.read(Object.keys(expected));
      for (const [name, e] of Object.entries(expected)) {
        const t = all.get(name)!;
        expect({ dtype: t.dtype, shape: t.shape, values: valuesOf(t) }, `${file} ${name}`).toEqual({
          dtype: wide[e.dtype] ?? e.dtype,
          shape: e.shape,
          values: e.values,
        });
      }
    }
  });

  it('refuses pickles that run os.system, builtins.eval or subprocess.Popen under Python, and nothing runs', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'hostile-'));
    const marker = path.join(dir, 'ran'),
      control = path.join(dir, 'control-ran');
    runPython('hostile', dir, marker, control);
    const cfg = parseClipConfig(JSON.parse(fs.readFileSync('test-data/fixtures/clip-tiny-a/config.json', 'utf8')));
    const names: Record<string, RegExp> = {
      'os-system.pth': /Python global '(posix|nt)\.system'/,
      'builtins-eval.pth': /Python global '__builtin__\.eval'/,
      'subprocess-popen.pth': /Python global '(subprocess|commands)\.Popen'/,
    };
    for (const [file, name] of Object.entries(names)) {
      const blob = await fs.openAsBlob(path.join(dir, file));
      await expect(readTorchCheckpoint(blob), file).rejects.toThrow(name);
      await expect(importTeacherPrompts(blob, cfg, file), file).rejects.toThrow(
        new RegExp(`^${file}: not a readable PyTorch checkpoint \\(the pickle names the Python global .*nothing in it was run\\)\\)$`),
      );
    }
    expect(fs.existsSync(marker)).toBe(false);
    // the same kind of payload under Python's own pickle.load does run: the files are live
    runPython('unpickle', path.join(dir, 'control.pkl'));
    expect(fs.existsSync(control)).toBe(true);
  });
});
