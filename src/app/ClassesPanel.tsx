// Step 1: the class names. The first half (rounded up) are base classes, the rest new, as PromptKD
// splits them; names can be typed, taken from a labeled folder's subfolders, or from a CoOp split
// file (split-choice.ts), whose labels give the paper's order.
import { useState } from 'react';
import { PickButton } from './HiddenFileInput.tsx';
import { ActionButton } from './ActionButton.tsx';
import { isEnabled, runAction } from './actions.ts';
import { classListProblem, parseClassList } from './class-names.ts';
import { classNamesOf, parseSplitFile, SplitFileError } from '../engine/surface.ts';
import { pickedFiles } from './folder-walk.ts';
import { plural } from './format.ts';
import { Step } from './Step.tsx';
import { useSplit } from './split-choice.ts';
import { NONE, useStudio } from './store.ts';

export function ClassesPanel() {
  const classes = useStudio((s) => s.workspace?.classes ?? NONE);
  const baseCount = useStudio((s) => s.workspace?.baseCount ?? 0);
  const canEdit = useStudio((s) => isEnabled('setClasses', s));
  const [editing, setEditing] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const split = useSplit((s) => s.chosen);
  const splitInForce = split !== null && split.split.classes.join('\n') === classes.join('\n');

  const save = (names: string[]) => {
    const p = classListProblem(names);
    setProblem(p);
    if (p) return;
    setEditing(null);
    void runAction('setClasses', names);
  };

  const fromFolder = (input: HTMLInputElement) => {
    const names = classNamesOf(pickedFiles(Array.from(input.files ?? [])).map((f) => f.path));
    input.value = '';
    if (names.length === 0)
      return setProblem('That folder has no subfolders: a labeled folder holds one subfolder per class (cat/1.jpg, dog/2.jpg).');
    save(names);
  };

  const fromSplitFile = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const text = await file.text();
      const parsed = parseSplitFile(text, file.name);
      await runAction('keepSplitFile', { name: file.name, text });
      save([...parsed.classes]);
    } catch (e) {
      if (!(e instanceof SplitFileError)) throw e;
      setProblem(e.message);
    }
  };

  return (
    <Step
      n={1}
      id="step-classes"
      title="Classes"
      status={
        classes.length ? `${plural(classes.length, 'class', 'classes')}: ${baseCount} base, ${classes.length - baseCount} new` : 'none yet'
      }
    >
      {editing === null ? (
        <>
          {classes.length === 0 ? (
            <p className="empty">No classes yet. Type their names, take them from a labeled folder, or start the demo.</p>
          ) : (
            <ul className="class-list" data-testid="class-list">
              {classes.map((c, i) => (
                <li key={c} className={i < baseCount ? 'base' : 'new'}>
                  <span className="class-name">{c}</span>
                  <span className="tag">{i < baseCount ? 'base' : 'new'}</span>
                </li>
              ))}
            </ul>
          )}
          {splitInForce && (
            <p className="split-in-force" data-testid="split-in-force">
              Class order and base/new from <strong>{split.name}</strong> (labels 0–{classes.length - 1}, as the paper splits them). Choose
              its image folder in the Data step.
            </p>
          )}
          <p className="muted">
            Base classes are the ones the teacher may have seen labeled examples of; new classes are known to everyone by name only. The
            student never sees a label: it learns every class from the teacher.
          </p>
          <div className="buttons">
            <button type="button" className="secondary" disabled={!canEdit} onClick={() => setEditing(classes.join('\n'))}>
              Edit names
            </button>
            <PickButton disabled={!canEdit} testId="classes-folder-input" folder onPicked={(input) => fromFolder(input)}>
              From a labeled folder…
            </PickButton>
            <PickButton
              disabled={!canEdit}
              title="CoOp's split_zhou_<Dataset>.json, as PromptSRC and PromptKD use it: its labels give the class order and so base/new"
              testId="split-file-input"
              accept=".json,application/json"
              onPicked={(input) => void fromSplitFile(input)}
            >
              From a split file…
            </PickButton>
          </div>
        </>
      ) : (
        <div className="class-editor">
          <label htmlFor="class-names">One class name per line, in label order (base classes first):</label>
          <textarea
            id="class-names"
            rows={Math.min(12, Math.max(4, editing.split('\n').length + 1))}
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
          />
          <div className="buttons">
            <ActionButton action="setClasses" onRun={() => save(parseClassList(editing))} />
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setEditing(null);
                setProblem(null);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </Step>
  );
}
