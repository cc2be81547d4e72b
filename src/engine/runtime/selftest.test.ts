import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from './node.ts';
import { runSelfTest } from './selftest.ts';

describe('self-test model', () => {
  it('runs on onnxruntime-node and matches the float64 reference', async () => {
    const report = await runSelfTest(createNodeRuntime());
    expect(report.backend).toBe('cpu');
    expect(report.probs).toHaveLength(32); // [4,8]
    expect(report.maxErrVsReference).toBeLessThan(1e-6);
    expect(report.onDevice).toBe(false);
    // the outputs are probabilities: no row is flat, every row sums to one
    for (let r = 0; r < 4; r++) {
      const row = report.probs.slice(r * 8, r * 8 + 8);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(0.05);
    }
  });
});
