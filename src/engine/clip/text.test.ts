import { describe, expect, it } from 'vitest';
import { maxRelError } from '../checks/compare.ts';
import { Graph } from '../graph/graph.ts';
import { createNodeRuntime } from '../runtime/node.ts';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';
import { randomData, randomHfClip, referenceTextEmbeds, tinyConfig, type RefTextPrompts } from './random-clip.testkit.ts';
import { textTowerInputs } from './text-input.ts';
import { buildTextTower } from './text.ts';
import { loadClipWeights, weightFeeds, type ClipWeights } from './weights.ts';

const rt = createNodeRuntime();
const cfg = tinyConfig({ tw: 12, tl: 3, th: 3, vocab: 50, ctx: 10, embed: 8 });
const START = 48,
  END = 49;

/** rows of [start, ...tokens, end, 0, …] as int32 [B, L], with their end positions */
function idsOf(rows: number[][], L: number): { ids: HostTensor; eot: number[] } {
  const ids = new Int32Array(rows.length * L);
  rows.forEach((r, b) => {
    [START, ...r, END].forEach((t, j) => {
      ids[b * L + j] = t;
    });
  });
  return { ids: hostTensor('int32', [rows.length, L], ids), eot: rows.map((r) => r.length + 1) };
}

async function runText(w: ClipWeights, ids: HostTensor, prompts?: RefTextPrompts): Promise<HostTensor> {
  const [B, L] = ids.shape as [number, number];
  const W = cfg.text.width;
  const inputs = textTowerInputs(w, ids);
  const g = new Graph('text-test');
  const feeds: Record<string, HostTensor> = { tok: inputs.tokenEmbeds, eot: inputs.eot };
  let hooks: Parameters<typeof buildTextTower>[5];
  if (prompts) {
    hooks = {
      ctx: g.input('ctx', 'float32', [prompts.nCtx, W]),
      deep: prompts.deep.map((_, i) => g.input(`ctx_${i + 1}`, 'float32', [prompts.nCtx, W])),
    };
    feeds.ctx = hostTensor('float32', [prompts.nCtx, W], prompts.ctx);
    prompts.deep.forEach((d, i) => {
      feeds[`ctx_${i + 1}`] = hostTensor('float32', [prompts.nCtx, W], d);
    });
  }
  const tower = buildTextTower(g, cfg, w, g.input('tok', 'float32', [B, L, W]), g.input('eot', 'float32', [B, 1, L]), hooks);
  g.output('embeds', tower.embeds);
  const out = await (await rt.load(g)).run({ ...feeds, ...weightFeeds(g, w) });
  return out.embeds!.read();
}

const vsReference = (ours: HostTensor, ref: Float64Array) => maxRelError([[ours, hostTensor('float64', ours.shape, ref)]]);

describe('text tower', () => {
  const src = randomHfClip(cfg, 21);
  const w = loadClipWeights(src, cfg, { towers: ['text'] });
  const rows = [[3, 7, 9], [11], [5, 5, 5, 5, 5, 20], [30, 2]];

  it('matches the plain reference (causal mask, end-token pooling)', async () => {
    const { ids, eot } = idsOf(rows, 10);
    const ref = referenceTextEmbeds(src, cfg, ids.data as Int32Array, rows.length, 10, eot);
    expect(vsReference(await runText(w, ids), ref)).toBeLessThan(1e-5);
  });

  it('gives the same embeds when the sequences are cut after the last end token', async () => {
    const full = await runText(w, idsOf(rows, 10).ids);
    const cut = await runText(w, idsOf(rows, 8).ids);
    expect(maxRelError([[cut, full]])).toBeLessThan(1e-6);
  });

  it('replaces positions 1..n_ctx with ctx, and with deep[i-1] at the start of block i', async () => {
    const nCtx = 2;
    // positions 1..2 hold placeholder tokens that the prompts replace
    const promptRows = rows.map((r) => [1, 1, ...r.slice(0, 5)]);
    const { ids, eot } = idsOf(promptRows, 10);
    for (const depth of [0, 2]) {
      const p: RefTextPrompts = {
        nCtx,
        ctx: randomData(nCtx * 12, 70, 0.5),
        deep: Array.from({ length: depth }, (_, i) => randomData(nCtx * 12, 71 + i, 0.5)),
      };
      const ours = await runText(w, ids, p);
      expect(vsReference(ours, referenceTextEmbeds(src, cfg, ids.data as Int32Array, rows.length, 10, eot, p))).toBeLessThan(1e-5);
      expect(vsReference(ours, referenceTextEmbeds(src, cfg, ids.data as Int32Array, rows.length, 10, eot))).toBeGreaterThan(1e-3);
      if (depth > 0) {
        expect(
          vsReference(ours, referenceTextEmbeds(src, cfg, ids.data as Int32Array, rows.length, 10, eot, { ...p, deep: [] })),
        ).toBeGreaterThan(1e-3);
      }
    }
  });

  it('rejects inputs and prompts of the wrong shape', () => {
    const g = new Graph();
    const tok = g.input('tok', 'float32', [2, 10, 12]);
    const eot = g.input('eot', 'float32', [2, 1, 10]);
    expect(() => buildTextTower(g, cfg, w, g.input('t2', 'float32', [2, 11, 12]), eot)).toThrow(/expected float32\[B,≤10,12\]/);
    expect(() => buildTextTower(g, cfg, w, tok, g.input('e2', 'float32', [2, 10]))).toThrow(/one-hot/);
    expect(() => buildTextTower(g, cfg, w, tok, eot, { ctx: g.input('c', 'float32', [2, 11]) })).toThrow(/n_ctx,12/);
    expect(() => buildTextTower(g, cfg, w, tok, eot, { ctx: g.input('c2', 'float32', [9, 12]) })).toThrow(/no room/);
  });
});
