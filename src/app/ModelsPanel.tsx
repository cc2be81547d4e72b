// Step 3: which CLIPs teach and learn. The demo's tiny CLIPs are built in; real ones (ViT-B/16
// student, ViT-L/14 teacher) come from the Hugging Face Hub or from local files, with download progress.
// With teacher labels in force (step 4) there is no teacher model to choose: the student only.
import { useState } from 'react';
import type { ModelInfo, ModelRole, ModelSource } from '../worker/protocol.ts';
import { ActionButton } from './ActionButton.tsx';
import { isEnabled, runAction } from './actions.ts';
import { bytes } from './format.ts';
import { Tasks } from './Progress.tsx';
import { Step } from './Step.tsx';
import { useStudio } from './store.ts';

type Kind = ModelSource['kind'];

const HUB_DEFAULT: Record<ModelRole, string> = { student: 'openai/clip-vit-base-patch16', teacher: 'openai/clip-vit-large-patch14' };

interface Choice {
  kind: Kind;
  repo: string;
  baseUrl: string;
  /** an access token for a gated or private repo: in this page's memory only, sent with the load to the Hub */
  token: string;
  config: File | null;
  weights: File | null;
}

/** the source a choice describes, or what is missing */
function sourceOf(c: Choice, role: ModelRole): ModelSource | string {
  if (c.kind === 'demo') return { kind: 'demo' };
  if (c.kind === 'hub') {
    const repo = c.repo.trim();
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) return `the ${role}'s Hub id "${repo}" is not of the form owner/name`;
    return {
      kind: 'hub',
      repo,
      ...(c.baseUrl.trim() ? { baseUrl: c.baseUrl.trim() } : {}),
      ...(c.token.trim() ? { token: c.token.trim() } : {}),
    };
  }
  if (!c.config || !c.weights) return `choose the ${role}'s config.json and model.safetensors`;
  return { kind: 'files', config: c.config, weights: c.weights };
}

function ModelSummary({ info }: { info: ModelInfo | null }) {
  if (!info) return <p className="muted">not loaded</p>;
  return (
    <p className="model-summary" data-testid={`model-${info.role}`}>
      <strong>{info.name}</strong> <span className="muted">({info.source})</span>
      <br />
      <span className="muted">
        ViT {info.imageSize} px · {info.visionLayers} layers × {info.visionWidth} wide · embed {info.embedDim}
        {info.textLayers != null && ` · text ${info.textLayers} layers`} · {bytes(info.bytes)}
      </span>
    </p>
  );
}

function ModelChooser({ role, choice, onChange }: { role: ModelRole; choice: Choice; onChange: (c: Choice) => void }) {
  const set = (patch: Partial<Choice>) => onChange({ ...choice, ...patch });
  // the Hub refused this repo as gated or private: a token may open it
  const gated = useStudio((s) => s.notices.some((n) => n.tokenFor !== undefined && n.tokenFor === choice.repo.trim()));
  return (
    <div className="model-chooser">
      <div className="segmented" role="radiogroup" aria-label={`${role} source`}>
        {(['demo', 'hub', 'files'] as Kind[]).map((k) => (
          <label key={k} className={choice.kind === k ? 'on' : ''}>
            <input type="radio" name={`${role}-source`} checked={choice.kind === k} onChange={() => set({ kind: k })} />
            {k === 'demo' ? 'Demo tiny CLIP' : k === 'hub' ? 'Hugging Face Hub' : 'Local files'}
          </label>
        ))}
      </div>
      {choice.kind === 'hub' && (
        <div className="fields">
          <label>
            Model id <input type="text" value={choice.repo} onChange={(e) => set({ repo: e.target.value })} spellCheck={false} />
          </label>
          <label>
            Server{' '}
            <input
              type="text"
              value={choice.baseUrl}
              placeholder="https://huggingface.co"
              onChange={(e) => set({ baseUrl: e.target.value })}
              spellCheck={false}
            />
          </label>
          {(gated || choice.token) && (
            <label>
              Access token{' '}
              <input
                type="password"
                value={choice.token}
                placeholder="hf_…"
                autoComplete="off"
                onChange={(e) => set({ token: e.target.value })}
                spellCheck={false}
              />
              <span className="muted">
                for a gated or private repo: kept in this page only (never stored), and sent to the Hub's server only
              </span>
            </label>
          )}
        </div>
      )}
      {choice.kind === 'files' && (
        <div className="fields">
          <label>
            config.json <input type="file" accept=".json,application/json" onChange={(e) => set({ config: e.target.files?.[0] ?? null })} />
          </label>
          <label>
            model.safetensors <input type="file" accept=".safetensors" onChange={(e) => set({ weights: e.target.files?.[0] ?? null })} />
          </label>
        </div>
      )}
    </div>
  );
}

const NO_MODELS = { student: null, teacher: null };

export function ModelsPanel() {
  const models = useStudio((s) => s.workspace?.models ?? NO_MODELS);
  const labels = useStudio((s) => s.workspace?.teacherLabels ?? null);
  const downloading = useStudio((s) => isEnabled('pauseDownload', s));
  const initial = (role: ModelRole): Choice => ({
    kind: 'demo',
    repo: HUB_DEFAULT[role],
    baseUrl: '',
    token: '',
    config: null,
    weights: null,
  });
  const [choices, setChoices] = useState<Record<ModelRole, Choice>>({ student: initial('student'), teacher: initial('teacher') });
  const [problem, setProblem] = useState<string | null>(null);

  const load = () => {
    const student = sourceOf(choices.student, 'student'),
      teacher = labels ? null : sourceOf(choices.teacher, 'teacher');
    const missing = [student, teacher].filter((x): x is string => typeof x === 'string');
    setProblem(missing.length ? `To load the models, ${missing.join('; ')}.` : null);
    if (!missing.length)
      void runAction('setModels', { student: student as ModelSource, ...(teacher ? { teacher: teacher as ModelSource } : {}) });
  };

  const teacherName = labels ? `labels ${labels.name}` : models.teacher?.name;
  const status = models.student && teacherName ? `${teacherName} → ${models.student.name}` : 'not chosen';
  return (
    <Step n={3} id="step-models" title="Models" status={status}>
      <div className="two-up">
        {(['teacher', 'student'] as ModelRole[]).map((role) => (
          <div key={role} className="model-role">
            <h3>{role === 'teacher' ? 'Teacher (large CLIP)' : 'Student (small CLIP)'}</h3>
            {role === 'teacher' && labels ? (
              <p className="muted" data-testid="teacher-from-labels">
                No teacher model: the teacher labels <strong>{labels.name}</strong> (step 4) hold its class features and logits, so nothing
                is downloaded or loaded for it.
              </p>
            ) : (
              <>
                <ModelSummary info={models[role]} />
                <ModelChooser role={role} choice={choices[role]} onChange={(c) => setChoices((all) => ({ ...all, [role]: c }))} />
              </>
            )}
          </div>
        ))}
      </div>
      <p className="muted">
        Real models: a ViT-B/16 student (about 600 MB) and a ViT-L/14 teacher (about 1.7 GB) are downloaded once, checked against the Hub's
        SHA-256, and kept in this browser's storage (listed in Storage, with the commit they are from). A download cut off, paused or left
        by a reload continues where it stopped on the next load.
      </p>
      <div className="buttons">
        <ActionButton action="setModels" onRun={load} />
        {downloading && (
          <>
            <ActionButton action="pauseDownload" className="secondary" />
            <ActionButton action="cancelDownload" className="secondary" />
          </>
        )}
      </div>
      <Tasks only={['download', 'model']} />
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </Step>
  );
}
