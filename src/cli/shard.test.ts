import { describe, expect, it } from 'vitest';
import { ShardError, shardOf } from './shard.ts';

const error = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ShardError);
    return (e as Error).message;
  }
  throw new Error('expected a ShardError');
};

describe('shardOf', () => {
  it('takes --shard i/n, and the whole folder without one', () => {
    expect(shardOf('1/4', undefined, {})).toMatchObject({ index: 1, count: 4 });
    expect(shardOf(undefined, undefined, {})).toMatchObject({ index: 0, count: 1 });
    expect(shardOf(undefined, 1, {})).toMatchObject({ index: 0, count: 1 });
  });

  it("takes the index of a Slurm array task, counting from the array's first id", () => {
    expect(shardOf(undefined, undefined, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '4' })).toMatchObject({ index: 2, count: 4 });
    // --array=1-4
    expect(
      shardOf(undefined, undefined, {
        SLURM_ARRAY_TASK_ID: '1',
        SLURM_ARRAY_TASK_COUNT: '4',
        SLURM_ARRAY_TASK_MIN: '1',
        SLURM_ARRAY_TASK_MAX: '4',
      }),
    ).toMatchObject({ index: 0, count: 4 });
  });

  it("takes a Kubernetes Indexed Job's index with --shards, and an AWS Batch array index", () => {
    expect(shardOf(undefined, 3, { JOB_COMPLETION_INDEX: '2' })).toMatchObject({ index: 2, count: 3 });
    expect(shardOf(undefined, undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '2' })).toMatchObject({
      index: 0,
      count: 2,
    });
    expect(shardOf(undefined, 5, { AWS_BATCH_JOB_ARRAY_INDEX: '4' })).toMatchObject({ index: 4, count: 5 });
  });

  it('--shard wins over the environment', () => {
    expect(shardOf('0/2', undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' })).toMatchObject({ index: 0, count: 2 });
  });

  it('names a shard index outside 0..n-1, and a malformed --shard', () => {
    expect(error(() => shardOf('4/4', undefined, {}))).toBe('--shard 4/4: shard index 4 is outside 0..3 (shards count from 0)');
    expect(error(() => shardOf('1/0', undefined, {}))).toContain('the shard count must be at least 1');
    expect(error(() => shardOf('two/4', undefined, {}))).toContain('--shard takes i/n');
    expect(error(() => shardOf('1/4', 3, {}))).toContain('disagree on the shard count');
    expect(error(() => shardOf(undefined, 4, { JOB_COMPLETION_INDEX: '4' }))).toContain('shard index 4 is outside 0..3');
  });

  it('names an unset or inconsistent array variable', () => {
    expect(error(() => shardOf(undefined, undefined, { SLURM_ARRAY_TASK_ID: '3' }))).toContain('SLURM_ARRAY_TASK_COUNT is unset');
    expect(error(() => shardOf(undefined, undefined, { SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '4' }))).toContain(
      "SLURM_ARRAY_TASK_ID is 'x', not a whole number",
    );
    // --array=0-6:2 gives ids 0, 2, 4, 6: four tasks over seven ids
    expect(
      error(() =>
        shardOf(undefined, undefined, {
          SLURM_ARRAY_TASK_ID: '2',
          SLURM_ARRAY_TASK_COUNT: '4',
          SLURM_ARRAY_TASK_MIN: '0',
          SLURM_ARRAY_TASK_MAX: '6',
        }),
      ),
    ).toContain('a stepped or listed --array leaves gaps');
    expect(error(() => shardOf(undefined, 3, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }))).toContain(
      '--shards 3 disagrees with SLURM_ARRAY_TASK_COUNT=4',
    );
    expect(error(() => shardOf(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }))).toContain('give --shards n');
    expect(error(() => shardOf(undefined, undefined, { AWS_BATCH_JOB_ARRAY_INDEX: '1' }))).toContain('AWS_BATCH_JOB_ARRAY_SIZE');
    expect(error(() => shardOf(undefined, 2, { SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '1' }))).toContain('are both set');
    expect(error(() => shardOf(undefined, 4, {}))).toContain('--shards 4 needs a shard index');
  });
});
