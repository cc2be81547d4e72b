import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../runtime/node.ts';
import { dirFixtureSource } from './fixture-source-node.ts';
import { stage1Checks, STAGE1_TOLERANCE } from './stage1.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';

describe('stage-1 teacher step against PyTorch (clip-tiny-a)', () => {
  it("matches the float64 PromptSRC reference within 1e-4: every loss term, logits, and both towers' grads, momentum and prompts", async () => {
    const checks = await stage1Checks(dirFixtureSource(FIXTURE), createNodeRuntime());
    const perTower = (k: string) => [`stage1.${k}_text`, `stage1.${k}_vision`];
    expect(checks.map((c) => c.name)).toEqual([
      'stage1.loss',
      'stage1.ce',
      'stage1.l1_text',
      'stage1.l1_image',
      'stage1.kl_zero_shot',
      'stage1.logits',
      ...perTower('grads'),
      ...perTower('momentum'),
      ...perTower('params'),
    ]);
    console.log('stage1 errors:', Object.fromEntries(checks.map((c) => [c.name, c.maxRelError.toExponential(2)])));
    for (const c of checks) {
      expect(c.tolerance).toBe(1e-4);
      expect(c.maxRelError, c.name).toBeLessThanOrEqual(STAGE1_TOLERANCE);
    }
  }, 60_000);

  it('has nothing to check in a directory without stage1/', async () => {
    expect(await stage1Checks(dirFixtureSource('test-data'), createNodeRuntime())).toEqual([]);
  });
});
