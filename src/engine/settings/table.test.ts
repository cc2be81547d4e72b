import { describe, expect, it } from 'vitest';
import { PAPER_SETTINGS, RUN_SETTINGS, type RunSettings } from '../promptkd/run-settings.ts';
import { PROMPTSRC_SETTINGS, TEACHER_SETTINGS } from '../promptkd/teacher-settings.ts';
import { applyFlags, cliHelp, cliOptions, formatHash, parseHash, parseValue } from './table.ts';

const spec = (key: keyof RunSettings) => RUN_SETTINGS.find((s) => s.key === key)!;

describe('a settings table in the URL hash', () => {
  it('gives the defaults for an empty hash', () => {
    expect(parseHash(RUN_SETTINGS, '', PAPER_SETTINGS)).toEqual({ settings: PAPER_SETTINGS, given: [], problems: [] });
  });

  it('reads every setting by its hash name', () => {
    const p = parseHash(
      RUN_SETTINGS,
      '#epochs=2&batch=16&lr=1e-3&T=2&kd=200&depth=3&nctx=2&evalEvery=10&ckptEvery=5&augment=0&seed=42&logitScale=50&teacherFp16=1',
      PAPER_SETTINGS,
    );
    expect(p.problems).toEqual([]);
    expect(p.settings).toEqual({
      ...PAPER_SETTINGS,
      epochs: 2,
      batchSize: 16,
      lr: 0.001,
      temperature: 2,
      kdWeight: 200,
      depth: 3,
      nCtx: 2,
      evalEvery: 10,
      ckptEvery: 5,
      augment: false,
      seed: 42,
      logitScale: 50,
      teacherFp16: true,
    });
    expect(p.given).toHaveLength(13);
  });

  it('keeps the default and names the problem for bad values', () => {
    const p = parseHash(RUN_SETTINGS, '#epochs=0&batch=1&lr=-1&protocol=both&augment=maybe&depth=2.5&seed=0x10', PAPER_SETTINGS);
    expect(p.settings).toEqual(PAPER_SETTINGS);
    expect(p.given).toEqual([]);
    expect(p.problems).toHaveLength(7);
    expect(p.problems[0]).toBe('epochs=0 is not valid: use a whole number from 1 to 1000; using the default 20');
    expect(p.problems[1]).toMatch(/^batch=1 .* from 2 /);
    expect(p.problems[2]).toMatch(/^lr=-1 .* above 0/);
    expect(p.problems[3]).toMatch(/protocol=both .* one of base2new, cross-dataset; using the default base2new/);
    expect(p.problems[4]).toMatch(/augment=maybe .* true or false/);
  });

  it('names unknown keys and still reads the rest', () => {
    const p = parseHash(RUN_SETTINGS, '#epoch=3&epochs=4', PAPER_SETTINGS);
    expect(p.settings.epochs).toBe(4);
    expect(p.problems).toEqual([expect.stringMatching(/^unknown setting "epoch" ignored/)]);
  });

  it('rejects empty values instead of reading them as 0; a nullable setting takes "default"', () => {
    expect(parseValue(spec('seed'), '')).toEqual({ error: 'seed=(empty) is not valid: use a whole number from 0 to 9007199254740991' });
    expect(parseValue(spec('logitScale'), 'default')).toEqual({ value: null });
    expect(parseValue(spec('epochs'), 'default')).toMatchObject({ error: expect.stringMatching(/epochs=default is not valid/) });
  });

  it('writes only what differs from the defaults, and reads back the same settings', () => {
    expect(formatHash(RUN_SETTINGS, PAPER_SETTINGS, PAPER_SETTINGS)).toBe('');
    const s: RunSettings = { ...PAPER_SETTINGS, epochs: 3, lr: 0.0025, augment: false, logitScale: 20 };
    const hash = formatHash(RUN_SETTINGS, s, PAPER_SETTINGS);
    expect(hash).toBe('#epochs=3&lr=0.0025&augment=false&logitScale=20');
    expect(parseHash(RUN_SETTINGS, hash, PAPER_SETTINGS).settings).toEqual(s);
    expect(formatHash(RUN_SETTINGS, PAPER_SETTINGS, { ...PAPER_SETTINGS, logitScale: 20 })).toBe('#logitScale=default');
  });

  it('has one hash name and one flag per setting', () => {
    for (const table of [RUN_SETTINGS, TEACHER_SETTINGS] as const) {
      const hashes = table.map((s) => s.hash),
        flags = table.flatMap((s) => (s.flag ? [s.flag] : []));
      expect(new Set(hashes).size).toBe(hashes.length);
      expect(new Set(flags).size).toBe(flags.length);
    }
    // the two tables share the studio's hash: no name in both
    const run = new Set(RUN_SETTINGS.map((s) => s.hash));
    expect(TEACHER_SETTINGS.filter((s) => run.has(s.hash))).toEqual([]);
  });
});

describe('a settings table on the command line', () => {
  const fail = (m: string) => new Error(m);

  it('makes --flag VALUE for numbers and --flag / --no-flag for switches, studio-only rows left out', () => {
    const o = cliOptions(RUN_SETTINGS);
    expect(o['batch-size']).toEqual({ type: 'string' });
    expect(o.augment).toEqual({ type: 'boolean' });
    expect(o['no-augment']).toEqual({ type: 'boolean' });
    expect(o.backend).toBeUndefined();
  });

  it('applies the flags given over the defaults and says which were given', () => {
    const r = applyFlags(RUN_SETTINGS, { 'batch-size': '16', 'no-augment': true, 'logit-scale': 'default' }, PAPER_SETTINGS, fail);
    expect(r.settings).toEqual({ ...PAPER_SETTINGS, batchSize: 16, augment: false, logitScale: null });
    expect(r.given).toEqual(['batchSize', 'augment', 'logitScale']);
    expect(() => applyFlags(RUN_SETTINGS, { lr: 'fast' }, PAPER_SETTINGS, fail)).toThrow(
      '--lr fast is not valid: use a number above 0 up to 10',
    );
    expect(() => applyFlags(RUN_SETTINGS, { augment: true, 'no-augment': true }, PAPER_SETTINGS, fail)).toThrow(
      '--augment and --no-augment contradict each other',
    );
  });

  it('lists every flag with its help and default in --help', () => {
    const help = cliHelp(TEACHER_SETTINGS, PROMPTSRC_SETTINGS).join('\n');
    expect(help).toMatch(/--epochs N\s+passes over the few-shot images \(default 20\)/);
    expect(help).toMatch(/--no-gpa\s+not: Gaussian aggregation/);
    expect(help).toMatch(/--all-classes\s+tune on every class/);
  });
});
