// Step 4: how the teacher reads the classes: zero-shot templates, prompts tuned on the few-shot
// folder (PromptSRC, as in the paper), or prompts imported from a file. Or no teacher model at all:
// its logits for every view, made ahead of time by `promptkd label` and imported here.
import { useMemo, useRef, useState } from 'react';
import { HiddenFileInput, PickButton } from './HiddenFileInput.tsx';
import type { TeacherMode } from '../worker/protocol.ts';
import { ActionButton } from './ActionButton.tsx';
import { runAction } from './actions.ts';
import { bytes, pct, plural } from './format.ts';
import { describeLabels } from './labels.ts';
import { Tasks } from './Progress.tsx';
import { effectiveTeacherSettings } from './settings.ts';
import { SettingsForm } from './SettingsForm.tsx';
import { Step } from './Step.tsx';
import { NONE, useStudio } from './store.ts';

type Mode = TeacherMode | 'labels';

const MODES: { mode: Mode; title: string; hint: string }[] = [
  { mode: 'zero-shot', title: 'Zero-shot', hint: 'class names in a few sentence templates; no training' },
  { mode: 'tune', title: 'Tune prompts', hint: "learn the teacher's prompts from the few-shot folder first (slower, usually better)" },
  {
    mode: 'import',
    title: 'Import prompts',
    hint: 'PromptSRC prompts trained elsewhere: a .safetensors file or a PromptSRC/PromptKD checkpoint (model-best.pth.tar, model.pth.tar-20, .pth)',
  },
  {
    mode: 'labels',
    title: 'Teacher labels',
    hint: "the teacher's logits of every view, made ahead of time with promptkd label (on any number of machines): no teacher model is downloaded or loaded",
  },
];

/** the labels in force, or the two ways to choose them: one file, or a folder of shards */
function LabelsChoice() {
  const labels = useStudio((s) => s.workspace?.teacherLabels ?? null);
  const files = useRef<HTMLInputElement>(null);
  const picked = (input: HTMLInputElement, isFolder: boolean) => {
    const chosen = [...(input.files ?? [])];
    input.value = '';
    if (chosen.length === 0) return;
    // a picked folder's files carry its name as their first path segment
    const name = isFolder
      ? chosen[0]!.webkitRelativePath.split('/')[0] || 'labels'
      : chosen.length === 1
        ? chosen[0]!.name
        : `${chosen.length} label files`;
    void runAction('importTeacherLabels', { name, files: chosen });
  };
  if (labels) {
    return (
      <div className="teacher-info" data-testid="labels-info">
        <p>
          Teacher labels in force: <strong>{labels.name}</strong> <span className="muted">({bytes(labels.bytes)})</span>:{' '}
          {describeLabels(labels)}. Runs take the teacher's class features and logits from them; no teacher model is needed.
        </p>
        <p className="muted">
          Teacher {labels.teacherId}, prompts {labels.promptState}.
        </p>
        <div className="buttons">
          <ActionButton action="clearTeacherLabels" data-testid="labels-clear" />
        </div>
      </div>
    );
  }
  return (
    <>
      <p className="muted">
        Made with <code>promptkd label</code> (see the README): one merged file (<code>promptkd label merge</code>), or the folder that
        holds all the shards of a labelling.
      </p>
      <div className="buttons">
        <ActionButton action="importTeacherLabels" onRun={() => files.current?.click()} text="Import teacher labels…" />
        <PickButton testId="labels-folder-input" folder onPicked={(input) => picked(input, true)}>
          Folder of shards…
        </PickButton>
        <HiddenFileInput
          ref={files}
          testId="labels-files-input"
          multiple
          accept=".safetensors"
          onPicked={(input) => picked(input, false)}
        />
      </div>
    </>
  );
}

export function TeacherPanel() {
  const labelsInForce = useStudio((s) => !!s.workspace?.teacherLabels);
  const teacher = useStudio((s) => s.workspace?.teacher ?? null);
  const [chosen, setMode] = useState<Mode>(teacher?.mode ?? 'zero-shot');
  // whenever another teacher comes into force (the demo tuned one, a reload restored it), the choice
  // shows it (state adjusted while rendering, as React advises over an effect)
  const inForce = teacher && `${teacher.mode} ${teacher.promptState}`;
  const [shown, setShown] = useState(inForce);
  if (inForce !== shown) {
    setShown(inForce);
    if (teacher) setMode(teacher.mode);
  }
  const mode: Mode = labelsInForce ? 'labels' : chosen;
  const [file, setFile] = useState<File | null>(null);
  const shots = useStudio((s) => s.workspace?.datasets ?? NONE)
    .filter((d) => d.role === 'shots')
    .at(-1);
  const missing =
    mode === 'tune' && !shots ? 'Import a few-shot folder in step 2 first.' : mode === 'import' && !file ? 'Choose a prompt file.' : null;
  const teacherModel = useStudio((s) => s.workspace?.models.teacher ?? null);
  const hashText = useStudio((s) => s.hashText);
  const preparing = useStudio((s) => !!s.busy.setTeacher);
  const eff = useMemo(() => effectiveTeacherSettings(hashText, teacherModel), [hashText, teacherModel]);
  const status = labelsInForce
    ? 'teacher labels'
    : teacher
      ? `${MODES.find((m) => m.mode === teacher.mode)!.title}${teacher.accuracy ? ` · HM ${pct(teacher.accuracy.hm)}%` : ''}`
      : 'zero-shot unless chosen';

  return (
    <Step n={4} id="step-teacher" title="Teacher" status={status}>
      <div className="choices">
        {MODES.map((m) => (
          <label key={m.mode} className={`choice ${mode === m.mode ? 'chosen' : ''}`}>
            <input
              type="radio"
              name="teacher-mode"
              checked={mode === m.mode}
              disabled={labelsInForce && m.mode !== 'labels'}
              onChange={() => setMode(m.mode)}
            />
            <span className="choice-title">{m.title}</span>
            <span className="choice-hint">{m.hint}</span>
          </label>
        ))}
      </div>
      {mode === 'tune' && shots && (
        <p className="muted">
          Uses “{shots.name}”: {plural(shots.count, 'image')} in {plural(shots.classes.length, 'class', 'classes')}.
        </p>
      )}
      {mode === 'tune' && (
        <details className="settings-box">
          <summary>Tuning settings</summary>
          <SettingsForm
            eff={eff}
            disabled={preparing}
            onHash={(hashText) => useStudio.setState({ hashText })}
            testIdPrefix="teacher-setting"
            intro={
              eff.demoDefaults
                ? `Defaults for the demo teacher: PromptSRC's, with ${eff.defaults.epochs} epochs on centre views.`
                : "Defaults are PromptSRC's stage 1 as PromptKD's teachers were tuned (16 shots per base class, 20 epochs, batch 8, lr 0.005, depth 9, 4+4 tokens)."
            }
          />
        </details>
      )}
      {mode === 'import' && (
        <label className="file-field">
          Prompt file <input type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
      )}
      {mode === 'labels' ? (
        <LabelsChoice />
      ) : (
        <div className="buttons">
          <ActionButton action="setTeacher" arg={{ mode, file: file ?? undefined }} disabled={!!missing} />
          {missing && <span className="muted">{missing}</span>}
          {!teacherModel && <span className="muted">Load the models first.</span>}
        </div>
      )}
      <Tasks only={['teacher']} />
      {teacher && mode !== 'labels' && (
        <p className="teacher-info" data-testid="teacher-info">
          Teacher ready: <strong>{MODES.find((m) => m.mode === teacher.mode)!.title}</strong>{' '}
          {teacher.detail && <span className="muted">({teacher.detail})</span>}
          {teacher.accuracy && (
            <>
              {' '}
              · on the test set base {pct(teacher.accuracy.base)}%, new {pct(teacher.accuracy.new)}%, HM {pct(teacher.accuracy.hm)}%
            </>
          )}
        </p>
      )}
    </Step>
  );
}
