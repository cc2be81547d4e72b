import { describe, expect, it } from 'vitest';
import { bytes, duration, lossText, pct, plural } from './format.ts';

describe('format', () => {
  it('shows accuracies as percentages and gaps as a dash', () => {
    expect(pct(0.47968)).toBe('47.97');
    expect(pct(1)).toBe('100.00');
    expect(pct(null)).toBe('–');
    expect(pct(NaN)).toBe('–');
    expect(lossText(0.123456)).toBe('0.1235');
  });

  it('sizes in binary units', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(600 * 2 ** 20)).toBe('600 MiB');
    expect(bytes(1.25 * 2 ** 30)).toBe('1.3 GiB');
  });

  it('durations and counts in words', () => {
    expect(duration(42.4)).toBe('42 s');
    expect(duration(65)).toBe('1 min 05 s');
    expect(duration(7380)).toBe('2 h 03 min');
    expect(plural(1, 'image')).toBe('1 image');
    expect(plural(3000, 'image')).toBe('3,000 images');
    expect(plural(2, 'class', 'classes')).toBe('2 classes');
  });
});
