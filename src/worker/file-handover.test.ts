import { describe, expect, it } from 'vitest';
import { handOver } from './file-handover.ts';

describe('handOver', () => {
  it('sends all but the last chunk ahead, in order, the last with the request, a task boundary between chunks', async () => {
    const files = Array.from({ length: 250 }, (_, i) => i);
    const log: string[] = [];
    let ticks = 0;
    const ticking = setInterval(() => {
      ticks++;
    }, 0);
    const result = await handOver(
      files,
      async (chunk) => {
        log.push(`stage ${chunk[0]}-${chunk.at(-1)} after ${ticks > 0 ? 'a task' : 'none'}`);
        ticks = 0;
      },
      async (last, staged) => {
        log.push(`finish ${last[0]}-${last.at(-1)} staged ${staged}`);
        return 'report';
      },
      (sent, total) => log.push(`handed ${sent}/${total}`),
      100,
    ).finally(() => clearInterval(ticking));
    expect(result).toBe('report');
    expect(log).toEqual([
      'handed 0/250',
      'stage 0-99 after none',
      'handed 100/250',
      'stage 100-199 after a task',
      'handed 200/250',
      'finish 200-249 staged true',
    ]);
  });

  it('sends a folder of one chunk or less with the request alone', async () => {
    const stages: number[][] = [];
    const finish = (last: number[], staged: boolean) => Promise.resolve({ last, staged });
    expect(
      await handOver(
        [1, 2, 3],
        async (c) => {
          stages.push(c);
        },
        finish,
        undefined,
        3,
      ),
    ).toEqual({ last: [1, 2, 3], staged: false });
    expect(
      await handOver(
        [],
        async (c) => {
          stages.push(c);
        },
        finish,
        undefined,
        3,
      ),
    ).toEqual({ last: [], staged: false });
    expect(stages).toEqual([]);
  });

  it('a chunk the worker refuses fails the handover and sends no request', async () => {
    let finished = false;
    await expect(
      handOver(
        [1, 2, 3, 4],
        async () => {
          throw new Error('refused');
        },
        async () => {
          finished = true;
        },
        undefined,
        2,
      ),
    ).rejects.toThrow('refused');
    expect(finished).toBe(false);
  });
});
