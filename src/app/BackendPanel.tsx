// Which backend the studio computes on, why, what the GPU offers, and the self-test that proves it.
import type { EngineBackend, SelfTestReport } from '../worker/protocol.ts';
import { useShallow } from 'zustand/react/shallow';
import { ActionButton } from './ActionButton.tsx';
import type { GpuInfo } from './gpu.ts';
import { webGpuEntryOf } from './settings.ts';
import { useStudio, type SelfTestEntry } from './store.ts';

const BACKENDS: EngineBackend[] = ['webgpu', 'wasm'];

const mib = (bytes: number) => (bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(2)} GiB` : `${+(bytes / 2 ** 20).toFixed(1)} MiB`);
const sci = (x: number) => x.toExponential(1);

export function BackendPanel() {
  const { gpu, backend, fallbackReason, webgpuUsable, selfTest } = useStudio(
    useShallow((s) => ({
      gpu: s.gpu,
      backend: s.backend,
      fallbackReason: s.fallbackReason,
      webgpuUsable: s.webgpuUsable,
      selfTest: s.selfTest,
    })),
  );
  const hashBackend = useStudio((s) => new URLSearchParams(s.hashText.replace(/^#/, '')).get('backend'));
  const hashEp = useStudio((s) => webGpuEntryOf(s.hashText));
  const webgpuTest = selfTest.webgpu;
  const webgpuEp = webgpuTest?.status === 'ok' ? webgpuTest.report.ep : undefined;
  const reports = BACKENDS.map((b) => selfTest[b])
    .filter((e) => e?.status === 'ok')
    .map((e) => (e as { report: SelfTestReport }).report);
  return (
    <section className="panel backend-panel" aria-label="Compute backend">
      <h2>Compute backend</h2>
      <p className="backend-line">
        Running on{' '}
        <strong data-testid="backend" data-backend={backend ?? ''}>
          {backend ?? 'checking…'}
        </strong>
      </p>
      {webgpuEp && (
        <p className="muted" data-testid="webgpu-ep" data-entry={webgpuEp.entry}>
          WebGPU computes on onnxruntime-web's {webgpuEp.summary}
          {hashEp === 'jsep' && ' (the page address asks for JSEP first: ep=jsep)'}.
        </p>
      )}
      {backend === 'webgpu' && hashBackend === 'wasm' && (
        <p className="muted" data-testid="backend-override">
          Runs use <strong>wasm</strong> here: the page address asks for it (<code>backend=wasm</code>).
        </p>
      )}
      {backend === 'wasm' && webgpuUsable && hashBackend === 'webgpu' && (
        <p className="muted" data-testid="backend-override">
          Runs use <strong>webgpu</strong> here: the page address asks for it (<code>backend=webgpu</code>).
        </p>
      )}
      {fallbackReason && (
        <p className="notice" role="status" data-testid="backend-notice">
          WebGPU is not used: {fallbackReason.replace(/\.+$/, '')}. The studio runs on WASM (CPU) instead
          {webgpuUsable ? '' : ', which is much slower for training'}.
        </p>
      )}
      {gpu?.info && <AdapterInfo info={gpu.info} />}
      <p className="muted">
        WASM threads:{' '}
        {crossOriginIsolated
          ? `on (cross-origin isolated, ${navigator.hardwareConcurrency} cores)`
          : 'off (page is not cross-origin isolated)'}
      </p>
      <h3>Self-test</h3>
      <p className="muted">MatMul → LayerNorm → Softmax on a fixed [4,8] input, checked against a float64 reference.</p>
      <table className="selftest">
        <thead>
          <tr>
            <th>backend</th>
            <th>result</th>
            <th>on GPU</th>
            <th>max err</th>
            <th>load / run</th>
          </tr>
        </thead>
        <tbody>
          {BACKENDS.map((b) => (
            <SelfTestRow key={b} backend={b} entry={selfTest[b]} />
          ))}
        </tbody>
      </table>
      {reports.length === 2 && (
        <p data-testid="selftest-agreement">
          WebGPU and WASM agree to max |Δ| ={' '}
          <span data-testid="selftest-maxdiff">{sci(maxDiff(reports[0]!.probs, reports[1]!.probs))}</span>
        </p>
      )}
      <ActionButton action="checkBackend" />
    </section>
  );
}

function AdapterInfo({ info }: { info: GpuInfo }) {
  const name = [info.vendor, info.architecture, info.device || info.description].filter(Boolean).join(' · ') || 'unnamed adapter';
  return (
    <dl className="facts" data-testid="adapter">
      <dt>Adapter</dt>
      <dd>
        {name}
        {info.isFallbackAdapter && ' (software fallback adapter)'}
      </dd>
      <dt>Max buffer</dt>
      <dd>{mib(info.maxBufferSize)}</dd>
      <dt>Max storage binding</dt>
      <dd>{mib(info.maxStorageBufferBindingSize)}</dd>
      <dt>shader-f16</dt>
      <dd data-testid="shader-f16">{info.shaderF16 ? 'yes' : 'no'}</dd>
    </dl>
  );
}

function SelfTestRow({ backend, entry }: { backend: EngineBackend; entry: SelfTestEntry | undefined }) {
  const cells = !entry ? (
    <td colSpan={4} className="muted">
      not run
    </td>
  ) : entry.status === 'running' ? (
    <td colSpan={4} className="muted">
      running…
    </td>
  ) : entry.status === 'failed' ? (
    <td colSpan={4} className="error" data-testid={`selftest-${backend}-error`}>
      {entry.error}
    </td>
  ) : (
    <>
      <td data-testid={`selftest-${backend}-values`} data-values={JSON.stringify(entry.report.probs)}>
        {entry.report.probs
          .slice(0, 2)
          .map((p) => p.toFixed(5))
          .join(', ')}
        , …
      </td>
      <td data-testid={`selftest-${backend}-ondevice`}>{entry.report.onDevice ? 'yes' : 'no'}</td>
      <td data-testid={`selftest-${backend}-err`}>{sci(entry.report.maxErrVsReference)}</td>
      <td>
        {entry.report.loadMs.toFixed(0)} / {entry.report.runMs.toFixed(0)} ms
      </td>
    </>
  );
  return (
    <tr data-testid={`selftest-${backend}`} data-status={entry?.status ?? 'idle'}>
      <th scope="row">{backend}</th>
      {cells}
    </tr>
  );
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
