// Step 6: how the student does per class, where it confuses classes, a gallery of teacher vs student
// predictions, and the exports.
import { bestOnBase } from '../engine/surface.ts';
import { useEffect, useMemo } from 'react';
import type { GalleryItem, RunResults } from '../worker/protocol.ts';
import { ActionButton } from './ActionButton.tsx';
import { isEnabled, runAction, type ArgOf } from './actions.ts';
import { exportSnippets, modelFolderName, SERVE_LINE, SNIPPET_IMAGE, SNIPPET_TITLES, type SnippetKind } from '../engine/surface.ts';
import { bytes, pct } from './format.ts';
import { Step } from './Step.tsx';
import { useStudio } from './store.ts';

/** `baseCount` null: a cross-dataset run, where every class is scored among all of them */
function PerClass({ r, baseCount }: { r: RunResults; baseCount: number | null }) {
  return (
    <table className="per-class" data-testid="per-class">
      <thead>
        <tr>
          <th>class</th>
          <th></th>
          <th>accuracy</th>
        </tr>
      </thead>
      <tbody>
        {r.classes.map((c, i) => (
          <tr key={c}>
            <th scope="row">{c}</th>
            <td>
              {baseCount !== null && <span className={`tag ${i < baseCount ? 'base' : 'new'}`}>{i < baseCount ? 'base' : 'new'}</span>}
            </td>
            <td className="bar-cell">
              <span className="bar" style={{ width: `${100 * (r.perClass[i] ?? 0)}%` }} />
              <span className="bar-value">{pct(r.perClass[i], 1)}%</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Confusion({ r }: { r: RunResults }) {
  const short = (c: string) => (c.length > 8 ? `${c.slice(0, 7)}…` : c);
  return (
    <div className="confusion-wrap">
      <table className="confusion" data-testid="confusion" aria-label="Confusion matrix: rows are true classes, columns predicted">
        <thead>
          <tr>
            <th className="corner">true \ predicted</th>
            {r.classes.map((c) => (
              <th key={c} title={c} className="col-head">
                <span>{short(c)}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {r.confusion.map((row, t) => {
            const total = row.reduce((a, b) => a + b, 0) || 1;
            return (
              <tr
                // biome-ignore lint/suspicious/noArrayIndexKey: a row is a class, and its index is the class label
                key={t}
              >
                <th scope="row" title={r.classes[t]}>
                  {short(r.classes[t]!)}
                </th>
                {row.map((n, p) => {
                  const frac = n / total;
                  const hue = p === t ? '47,111,98' : '180,35,24';
                  return (
                    <td
                      // biome-ignore lint/suspicious/noArrayIndexKey: a column is a class, and its index is the class label
                      key={p}
                      style={{
                        background: n ? `rgba(${hue},${(0.12 + 0.75 * frac).toFixed(3)})` : undefined,
                        color: frac > 0.55 ? '#fff' : undefined,
                      }}
                      title={`${r.classes[t]} → ${r.classes[p]}: ${n}`}
                    >
                      {n || ''}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function GalleryCard({ item, classes }: { item: GalleryItem; classes: string[] }) {
  const url = useMemo(() => URL.createObjectURL(item.thumbnail), [item.thumbnail]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  const mark = (k: number) => (k === item.label ? 'right' : 'wrong');
  return (
    <figure className="gallery-card">
      <img src={url} alt={classes[item.label]} width={72} height={72} />
      <figcaption>
        <div className="truth">{classes[item.label]}</div>
        {item.teacher !== null && <div className={mark(item.teacher)}>teacher: {classes[item.teacher]}</div>}
        <div className={mark(item.student)}>student: {classes[item.student]}</div>
      </figcaption>
    </figure>
  );
}

/** one choice of a few, each a radio button with its words; `name` also prefixes the buttons' test ids */
/** the actions that pick one of a few values, each shown as a group of radio buttons */
type ChoiceAction = 'chooseExport' | 'chooseModelPrecision';

function RadioChoices<K extends ChoiceAction>(props: {
  action: K;
  name: string;
  legend: string;
  choices: readonly { value: ArgOf<K> & string; words: string }[];
  chosen: ArgOf<K>;
}) {
  const enabled = useStudio((s) => isEnabled(props.action, s));
  // runAction's argument list is not resolved for a generic K; each ChoiceAction takes one value
  const choose = runAction as (id: K, value: ArgOf<K>) => Promise<void>;
  return (
    <fieldset className={props.name} data-testid={props.name} disabled={!enabled}>
      <legend>{props.legend}</legend>
      {props.choices.map((c) => (
        <label key={c.value}>
          <input
            type="radio"
            name={props.name}
            value={c.value}
            checked={props.chosen === c.value}
            onChange={() => void choose(props.action, c.value)}
            data-testid={`${props.name}-${c.value}`}
          />{' '}
          {c.words}
        </label>
      ))}
    </fieldset>
  );
}

/** the last checkpoint or the best on base, when the run keeps a best that is not the last: the exports take it, and Resume continues from it */
function ExportFrom() {
  const last = useStudio((s) => s.run?.checkpointStep ?? null);
  const best = useStudio((s) => (s.run ? bestOnBase(s.run.checkpoints) : null));
  const from = useStudio((s) => s.exportFrom);
  if (!best || last === null || best.step === last) return null;
  const choices = [
    { value: 'last', words: `the last checkpoint, step ${last}` },
    { value: 'best', words: `the best on base, step ${best.step} (base ${pct(best.base)}%)` },
  ] as const;
  return <RadioChoices action="chooseExport" name="export-from" legend="Export and resume from" choices={choices} chosen={from} />;
}

const PRECISIONS = [
  { value: 'fp32', words: 'fp32: the model the studio evaluated, full size' },
  {
    value: 'fp16',
    words:
      "fp16: about half the file (the vision tower's weights in float16; float16 arithmetic where the runtime has it). The export measures its top-1 agreement with fp32 and its HM difference on the test set (on the demo: the same top-1 on 99.8 to 100 % of the images, HM within 0.05 points)",
  },
] as const;

/** the model folder: precision, the button, what the last one held, and the snippets that run it */
function ModelFolder() {
  const precision = useStudio((s) => s.modelPrecision);
  const made = useStudio((s) => (s.modelExported?.folder.includes(s.run?.runId ?? '\0') ? s.modelExported : null));
  const allClasses = useStudio((s) => s.run?.protocol === 'cross-dataset');
  return (
    <div className="model-folder" data-testid="model-folder">
      <RadioChoices
        action="chooseModelPrecision"
        name="model-precision"
        legend="Model folder: precision"
        choices={PRECISIONS}
        chosen={precision}
      />
      <ActionButton action="exportModel" data-testid="export-model" />
      {made && (
        <p className="muted" data-testid="model-exported">
          {made.fileName}: {made.precision === 'fp16' ? 'onnx/model_fp16.onnx' : 'onnx/model.onnx'} {bytes(made.onnxBytes)}
          {made.fp16Cost &&
            `; fp16 gives fp32's top-1 on ${pct(made.fp16Cost.agreement, 2)}% of ${made.fp16Cost.images} test images, ${allClasses ? 'accuracy' : 'HM'} ${made.fp16Cost.delta >= 0 ? '+' : ''}${(100 * made.fp16Cost.delta).toFixed(2)} points`}
          . Its index.html classifies images and the webcam: {SERVE_LINE}
        </p>
      )}
      <Snippets />
    </div>
  );
}

/** copy-paste code filled with the export's names: what the tests run */
function Snippets() {
  const runId = useStudio((s) => s.run?.runId ?? null);
  const step = useStudio((s) => (s.exportFrom === 'best' && s.run ? bestOnBase(s.run.checkpoints)?.step : s.run?.checkpointStep) ?? null);
  const imageSize = useStudio((s) => s.workspace?.models.student?.imageSize ?? null);
  const precision = useStudio((s) => s.modelPrecision);
  if (runId === null || step === null || imageSize === null) return null;
  const snippets = exportSnippets({ folder: modelFolderName(runId, step), imageSize, precision });
  return (
    <details className="snippets" data-testid="snippets">
      <summary>Run it: JavaScript (transformers.js, onnxruntime-web) and Python (onnxruntime)</summary>
      <p className="muted">Unzip the model folder, put an image named {SNIPPET_IMAGE} beside it, and run one of these there.</p>
      {(Object.keys(snippets) as SnippetKind[]).map((k) => (
        <div key={k} className="snippet">
          <h4>{SNIPPET_TITLES[k]}</h4>
          <pre data-testid={`snippet-${k}`}>
            <code>{snippets[k]}</code>
          </pre>
          <button type="button" className="link" onClick={() => void navigator.clipboard?.writeText(snippets[k])}>
            Copy
          </button>
        </div>
      ))}
    </details>
  );
}

function Exports() {
  return (
    <div className="exports">
      <h3>Export</h3>
      <ExportFrom />
      <ModelFolder />
      <div className="buttons">
        <ActionButton action="exportPrompts" className="secondary" data-testid="export-prompts" />
        <ActionButton action="exportPromptsPth" className="secondary" data-testid="export-prompts-pth" />
        <ActionButton action="exportOnnx" className="secondary" data-testid="export-onnx" />
        <ActionButton action="exportReport" className="secondary" data-testid="export-report" />
        <ActionButton action="exportChart" className="secondary" data-testid="export-chart" />
      </div>
      <p className="muted">
        The .pth.tar file is a Dassl checkpoint with the official PromptKD student's names: its trainer loads it as it loads its own. The
        ONNX file is a whole classifier (prompts, projector and the teacher's class texts baked in) that runs in plain onnxruntime.
      </p>
    </div>
  );
}

export function ResultsPanel() {
  const r = useStudio((s) => (s.results && s.results.runId === s.run?.runId ? s.results : null));
  const allClasses = useStudio((s) => s.run?.protocol === 'cross-dataset');
  const baseCount = useStudio((s) => s.workspace?.baseCount) ?? Math.ceil((r?.classes.length ?? 0) / 2);
  const status = useStudio((s) => s.run?.status ?? null);
  const finished = status === 'done';
  useEffect(() => {
    if (finished && !r) void runAction('loadResults');
  }, [finished, r]);
  return (
    <Step
      n={6}
      id="step-results"
      title="Results"
      status={
        r ? `step ${r.step} · ${allClasses ? `accuracy ${pct(r.accuracy.base)}` : `HM ${pct(r.accuracy.hm)}`}%` : 'after a checkpoint'
      }
    >
      {!r && (
        <div className="buttons">
          <ActionButton action="loadResults" className="secondary" />
          {status === 'running' && <span className="muted">Pause the run to look at its last checkpoint.</span>}
        </div>
      )}
      {r && (
        <>
          {allClasses ? (
            <p data-testid="results-accuracy">
              At step {r.step}: accuracy <strong>{pct(r.accuracy.base)}%</strong> on the test set, every image scored among all{' '}
              {r.classes.length} classes (cross-dataset).
            </p>
          ) : (
            <p>
              At step {r.step}: base <strong>{pct(r.accuracy.base)}%</strong>, new <strong>{pct(r.accuracy.new)}%</strong>, HM{' '}
              <strong>{pct(r.accuracy.hm)}%</strong> on the test set.
            </p>
          )}
          <div className="two-up results-grid">
            <div>
              <h3>Per class</h3>
              <PerClass r={r} baseCount={allClasses ? null : baseCount} />
            </div>
            <div>
              <h3>Confusion matrix</h3>
              <p className="muted">
                Rows: true class; columns: the student's answer (
                {allClasses ? 'every image chooses among all classes' : 'base images choose among base classes, new among new'}).
              </p>
              <Confusion r={r} />
            </div>
          </div>
          {r.gallery.length > 0 && (
            <>
              <h3>Teacher vs student</h3>
              <div className="gallery" data-testid="gallery">
                {r.gallery.map((g) => (
                  <GalleryCard key={`${g.datasetId}/${g.itemId}`} item={g} classes={r.classes} />
                ))}
              </div>
            </>
          )}
        </>
      )}
      {status && <Exports />}
    </Step>
  );
}
