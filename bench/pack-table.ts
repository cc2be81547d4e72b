// `npx tsx bench/pack-table.ts FILE`: the README's table from a GPU pack's output (run.sh's stdout,
// kept under bench/gpu-results/): its last line is the whole result.
import { readFileSync } from 'node:fs';
import { formatPackTable, PACK_KIND, type GpuPackResult } from './pack-report.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx bench/pack-table.ts PACK_RESULT.json');
  process.exit(2);
}
const line = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
const result = JSON.parse(line) as GpuPackResult;
if (result.kind !== PACK_KIND)
  throw new Error(`${file} is not a GPU pack result (kind ${String(result.kind)}; its last line must be ${PACK_KIND})`);
console.log(formatPackTable(result));
