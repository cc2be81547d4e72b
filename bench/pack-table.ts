// `npx tsx bench/pack-table.ts FILE`: the README's table from a GPU pack's JSON line (run.sh's stdout,
// kept under bench/gpu-results/).
import { readFileSync } from 'node:fs';
import { formatPackTable, type GpuPackResult } from './pack-report.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx bench/pack-table.ts PACK_RESULT.json');
  process.exit(2);
}
const line = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
const result = JSON.parse(line) as GpuPackResult;
if (result.kind !== 'promptkd-gpu-pack/1') throw new Error(`${file} is not a GPU pack result (kind ${String(result.kind)})`);
console.log(formatPackTable(result));
