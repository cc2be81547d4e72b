import { describe, expect, it } from 'vitest';
import { JobQueue } from './queue.ts';

describe('JobQueue', () => {
  it('runs jobs one at a time in submission order, even when one fails', async () => {
    const q = new JobQueue();
    const log: string[] = [];
    const job =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([q.enqueue(job('a', 20)), q.enqueue(job('b', 1, true)), q.enqueue(job('c', 5))]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(q.length).toBe(0);
  });
});
