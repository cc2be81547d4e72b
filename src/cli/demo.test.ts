import { describe, expect, it } from 'vitest';
import { hostTensor } from '../engine/graph/tensor.ts';
import { argmaxAgreement } from './demo.ts';

describe('argmaxAgreement', () => {
  it('counts the rows whose top class is the same', () => {
    // rows' top classes: a = [1, 0, 2], b = [1, 2, 2]
    const a = hostTensor('float32', [3, 3], Float32Array.of(0, 5, 1, 9, 0, 0, 0, 1, 2));
    const b = hostTensor('float32', [3, 3], Float32Array.of(-1, 3, 2, 0, 1, 4, 1, 1, 8));
    expect(argmaxAgreement(a, b)).toBeCloseTo(2 / 3, 12);
    expect(argmaxAgreement(a, a)).toBe(1);
  });

  it('rejects logits of different shapes', () => {
    expect(() => argmaxAgreement(hostTensor('float32', [2, 3]), hostTensor('float32', [3, 3]))).toThrow(/differ in shape/);
  });
});
