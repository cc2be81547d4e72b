import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Progress } from './promptkd-progress.ts';

const sink = (tty: boolean) => {
  const chunks: string[] = [];
  const w = Object.assign(
    new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }),
    { isTTY: tty },
  );
  return { w, text: () => chunks.join('') };
};

describe('Progress', () => {
  it('draws a bar with an ETA on a terminal', () => {
    const s = sink(true);
    const p = new Progress(s.w, 10);
    p.start(0, 4);
    p.update(2, 'loss 1.0');
    expect(s.text()).toMatch(/\r\[#####\.\.\.\.\.\] 2\/4 loss 1\.0 ETA \d+:\d\d/);
  });

  it('writes only whole lines to a pipe', () => {
    const s = sink(false);
    const p = new Progress(s.w);
    p.start(0, 4);
    p.update(1, 'x');
    p.log('epoch 1/2');
    p.done();
    expect(s.text()).toBe('epoch 1/2\n');
  });
});
