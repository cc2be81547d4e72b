// Which shard of a labelling this process labels: `--shard i/n`, or the index a job engine hands an
// array task in its environment. Nothing else is needed to spread the work over machines:
//   Slurm job arrays         SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT (and _MIN/_MAX: --array=1-4 counts from 1)
//   Kubernetes Indexed Jobs  JOB_COMPLETION_INDEX, with the count from --shards n (the Job's completions)
//   AWS Batch array jobs     AWS_BATCH_JOB_ARRAY_INDEX, with AWS_BATCH_JOB_ARRAY_SIZE or --shards n
// Every mistake is one line that says which variable or flag is wrong and what to give instead.

export class ShardError extends Error {
  override name = 'ShardError';
}

export interface Shard {
  index: number;
  count: number;
  /** where the index came from, for the progress line */
  from: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const whole = (text: string, what: string): number => {
  if (!/^\d+$/.test(text.trim())) throw new ShardError(`${what} is '${text}', not a whole number`);
  return Number(text);
};

function checked(index: number, count: number, from: string): Shard {
  if (count < 1) throw new ShardError(`${from}: the shard count must be at least 1, got ${count}`);
  if (index >= count) throw new ShardError(`${from}: shard index ${index} is outside 0..${count - 1} (shards count from 0)`);
  return { index, count, from };
}

/** the shard of one array task, from whichever engine's variables are set; null when none are */
function fromEnvironment(env: Env, shards: number | undefined): Shard | null {
  const engines = [
    ['SLURM_ARRAY_TASK_ID', 'Slurm'],
    ['JOB_COMPLETION_INDEX', 'Kubernetes'],
    ['AWS_BATCH_JOB_ARRAY_INDEX', 'AWS Batch'],
  ].filter(([v]) => env[v!] !== undefined && env[v!] !== '');
  if (engines.length > 1)
    throw new ShardError(`${engines.map(([v]) => v).join(' and ')} are both set; give --shard i/n to say which shard this is`);
  const [variable] = engines[0] ?? [];
  if (!variable) return null;
  const id = whole(env[variable]!, variable);
  const agree = (count: number, source: string) => {
    if (shards !== undefined && shards !== count)
      throw new ShardError(`--shards ${shards} disagrees with ${source}=${count}; leave --shards out or make them agree`);
    return count;
  };
  if (variable === 'SLURM_ARRAY_TASK_ID') {
    const countText = env.SLURM_ARRAY_TASK_COUNT;
    if (countText === undefined || countText === '') {
      throw new ShardError(
        `SLURM_ARRAY_TASK_ID is ${id} but SLURM_ARRAY_TASK_COUNT is unset; submit with sbatch --array=0-<n-1> (Slurm 18.08 or newer sets both), or give --shard ${id}/n`,
      );
    }
    const count = agree(whole(countText, 'SLURM_ARRAY_TASK_COUNT'), 'SLURM_ARRAY_TASK_COUNT');
    const min = env.SLURM_ARRAY_TASK_MIN ? whole(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') : 0;
    const max = env.SLURM_ARRAY_TASK_MAX ? whole(env.SLURM_ARRAY_TASK_MAX, 'SLURM_ARRAY_TASK_MAX') : min + count - 1;
    if (max - min + 1 !== count) {
      throw new ShardError(
        `the array's task ids run ${min}..${max} but it has ${count} tasks: a stepped or listed --array leaves gaps; submit --array=0-${count - 1}`,
      );
    }
    if (id < min || id > max) throw new ShardError(`SLURM_ARRAY_TASK_ID ${id} is outside the array's ${min}..${max}`);
    return checked(id - min, count, `SLURM_ARRAY_TASK_ID=${id}`);
  }
  if (variable === 'JOB_COMPLETION_INDEX') {
    if (shards === undefined)
      throw new ShardError(`JOB_COMPLETION_INDEX is ${id} but the shard count is unknown; give --shards n (the Job's completions)`);
    return checked(id, shards, `JOB_COMPLETION_INDEX=${id}`);
  }
  const sizeText = env.AWS_BATCH_JOB_ARRAY_SIZE;
  const count = sizeText ? agree(whole(sizeText, 'AWS_BATCH_JOB_ARRAY_SIZE'), 'AWS_BATCH_JOB_ARRAY_SIZE') : shards;
  if (count === undefined)
    throw new ShardError(
      `AWS_BATCH_JOB_ARRAY_INDEX is ${id} but the shard count is unknown; give --shards n (the array size) or set AWS_BATCH_JOB_ARRAY_SIZE`,
    );
  return checked(id, count, `AWS_BATCH_JOB_ARRAY_INDEX=${id}`);
}

/**
 * The shard this process labels. `--shard i/n` wins over the environment; without either it is the
 * whole folder (0 of 1).
 */
export function shardOf(flag: string | undefined, shards: number | undefined, env: Env): Shard {
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1))
    throw new ShardError(`--shards must be a whole number from 1, got ${shards}`);
  if (flag !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(flag);
    if (!m) throw new ShardError(`--shard takes i/n (shard i of n, counting from 0), got '${flag}'`);
    const [index, count] = [Number(m[1]), Number(m[2])];
    if (shards !== undefined && shards !== count)
      throw new ShardError(`--shard ${flag} and --shards ${shards} disagree on the shard count`);
    return checked(index, count, `--shard ${flag}`);
  }
  const fromEnv = fromEnvironment(env, shards);
  if (fromEnv) return fromEnv;
  if (shards !== undefined && shards > 1)
    throw new ShardError(`--shards ${shards} needs a shard index: give --shard i/${shards}, or run it as an array task`);
  return { index: 0, count: 1, from: 'the whole folder' };
}
