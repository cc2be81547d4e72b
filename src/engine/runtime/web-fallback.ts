// The studio's WebGPU: onnxruntime-web's native EP first (the EP that onnxruntime-node and the GPU
// pack run, and the one onnxruntime keeps), JSEP where the native one cannot start or fails the
// self-test. Each entry must start AND compute the self-test right on the GPU before it is taken, so
// a build that loads but gives wrong numbers falls back like one that does not load. When no entry
// passes, the error names each one and why; the studio then computes on WASM.
import { RuntimeError, type EpChoice, type OrtWebEntry } from './runtime.ts';
import { runSelfTest, SELF_TEST_TOLERANCE } from './selftest.ts';
import type { WebRuntime } from './web-core.ts';

/** the studio's order; `#ep=jsep` puts JSEP first */
export const WEBGPU_ENTRIES: readonly OrtWebEntry[] = ['native', 'jsep'];

const LABEL: Record<OrtWebEntry, string> = { native: 'native WebGPU EP', jsep: 'JSEP' };

/** why a started runtime cannot be used, or null when its self-test passed */
async function selfTestFailure(rt: WebRuntime): Promise<string | null> {
  const report = await runSelfTest(rt);
  if (!report.onDevice) return 'its self-test output came back on the CPU, not in a GPU buffer';
  if (!(report.maxErrVsReference <= SELF_TEST_TOLERANCE))
    return `its self-test is off by ${report.maxErrVsReference.toExponential(1)} (more than ${SELF_TEST_TOLERANCE})`;
  return null;
}

/**
 * The first entry of `order` that starts (`open`) and passes the self-test, with the reasons the
 * ones before it were skipped (the runtime's `ep`). Throws a RuntimeError naming every failure.
 */
export async function openFirstWorkingEntry(
  order: readonly OrtWebEntry[],
  open: (entry: OrtWebEntry) => Promise<WebRuntime>,
): Promise<WebRuntime> {
  if (order.length === 0) throw new RuntimeError('no onnxruntime-web WebGPU entry to try');
  const skipped: EpChoice['skipped'] = [];
  for (const entry of order) {
    let rt: WebRuntime | null = null;
    let reason: string | null;
    try {
      rt = await open(entry);
      reason = await selfTestFailure(rt);
    } catch (e) {
      reason = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    }
    if (rt && reason === null) return { ...rt, ep: { entry, skipped, summary: summaryOf(entry, skipped) } };
    skipped.push({ entry, reason: reason ?? 'it did not start' });
    await rt?.close().catch(() => undefined); // a runtime that failed its test may fail to close too
  }
  throw new RuntimeError(
    `WebGPU failed on every onnxruntime-web backend: ${skipped.map((s) => `${LABEL[s.entry]}: ${s.reason}`).join('; ')}`,
  );
}

/** one line for a page: which WebGPU backend computes and why the ones before it were not taken */
function summaryOf(entry: OrtWebEntry, skipped: EpChoice['skipped']): string {
  const why = skipped.map((s) => `${LABEL[s.entry]} failed: ${s.reason}`).join('; ');
  return why ? `${LABEL[entry]} (${why})` : LABEL[entry];
}
