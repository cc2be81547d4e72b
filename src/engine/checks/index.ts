// Every fixture check suite; each runs only where the directory has its data.
import { clipChecks } from './clip.ts';
import type { Check, CheckSuite } from './compare.ts';
import { preprocessChecks } from './preprocess.ts';
import { promptkdChecks, promptkdFp16Checks } from './promptkd.ts';
import { stage1Checks } from './stage1.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { FixtureSource } from './fixture-files.ts';

export const SUITES: readonly CheckSuite[] = [clipChecks, preprocessChecks, promptkdChecks, promptkdFp16Checks, stage1Checks];

export async function runFixtureChecks(src: FixtureSource, rt: Runtime): Promise<Check[]> {
  const checks: Check[] = [];
  for (const suite of SUITES) checks.push(...(await suite(src, rt)));
  return checks;
}
