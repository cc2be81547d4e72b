import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../runtime/node.ts';
import { dirFixtureSource } from './fixture-source-node.ts';
import { PROMPTKD_FP16_TOLERANCE, promptkdChecks, promptkdFp16Checks, PROMPTKD_TOLERANCE } from './promptkd.ts';

const FIXTURE = 'test-data/fixtures/clip-tiny-a';

describe('promptkd fixture checks on clip-tiny-a', () => {
  it('matches PyTorch on both train steps and the eval pass within 1e-4', async () => {
    const checks = await promptkdChecks(dirFixtureSource(FIXTURE), createNodeRuntime());
    const per = (s: string) =>
      ['loss', 'student_logits', 'grads', 'params', 'running_mean', 'running_var'].map((k) => `promptkd.${k}_${s}`);
    expect(checks.map((c) => c.name)).toEqual([...per('1'), ...per('2'), 'promptkd.student_logits_eval']);
    for (const c of checks) {
      expect(c.tolerance).toBe(1e-4);
      expect(c.maxRelError, c.name).toBeLessThanOrEqual(PROMPTKD_TOLERANCE);
    }
  });

  it('with the frozen tower in float16 matches PyTorch (float64) within the float16 tolerance, 2e-2', async () => {
    const checks = await promptkdFp16Checks(dirFixtureSource(FIXTURE), createNodeRuntime());
    expect(checks).toHaveLength(13);
    for (const c of checks) {
      console.log(`${c.name} ${c.maxRelError.toExponential(2)}`);
      expect(c.name).toMatch(/^promptkd\.fp16\./);
      expect(c.tolerance).toBe(2e-2);
      expect(c.maxRelError, c.name).toBeLessThanOrEqual(PROMPTKD_FP16_TOLERANCE);
    }
    // float16 is not float32 in disguise: the losses move by more than the float32 tolerance
    expect(Math.max(...checks.map((c) => c.maxRelError))).toBeGreaterThan(PROMPTKD_TOLERANCE);
  });

  it('has nothing to check in a directory without promptkd/', async () => {
    expect(await promptkdChecks(dirFixtureSource('test-data'), createNodeRuntime())).toEqual([]);
  });
});
