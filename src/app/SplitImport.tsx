// Step 2, with a split file in force (chosen in step 1): its image folder, imported as the split's
// labeled test list, its train list (unlabeled) and, if asked, a few-shot set of its base classes.
import { useState } from 'react';
import { PickButton } from './HiddenFileInput.tsx';
import { SplitFileError } from '../engine/surface.ts';
import { runAction } from './actions.ts';
import { pickedFiles } from './folder-walk.ts';
import { plural } from './format.ts';
import { PROMPTSRC_SHOTS, SHOTS_SEED, splitImports, useSplit } from './split-choice.ts';

export function SplitImport({ disabled }: { disabled: boolean }) {
  const chosen = useSplit((s) => s.chosen);
  const missing = useSplit((s) => s.missing);
  const [withShots, setWithShots] = useState(false);
  const [shots, setShots] = useState(PROMPTSRC_SHOTS);
  const [problem, setProblem] = useState<string | null>(null);
  if (!chosen) return null;
  const { split, name } = chosen;

  const onPicked = (el: HTMLInputElement) => {
    const files = pickedFiles(Array.from(el.files ?? []));
    el.value = ''; // picking the same folder again must fire change again
    if (files.length === 0) return;
    try {
      const planned = splitImports(chosen, files, withShots ? shots : null, SHOTS_SEED);
      setProblem(null);
      useSplit.setState({ missing: planned.missing });
      for (const i of planned.imports) void runAction('importData', { role: i.role, name: i.name, walk: { files: i.files, unread: [] } });
    } catch (e) {
      if (!(e instanceof SplitFileError)) throw e;
      setProblem(e.message);
    }
  };

  return (
    <div className="split-import" data-testid="split-import">
      <h3>Split file {name}</h3>
      <p className="muted">
        It lists {plural(split.train.length, 'train image')}, {plural(split.val.length, 'val image')} and{' '}
        {plural(split.test.length, 'test image')} of {plural(split.classes.length, 'class', 'classes')} ({split.baseCount} base). Choose the
        folder its paths are relative to (for OxfordPets, <code>images/</code>) or the dataset's folder above it: its test list becomes the
        labeled test set, its train list the unlabeled images, as the CLI's <code>--split</code> takes them. The val list is not used.
      </p>
      <label className="split-shots">
        <input
          type="checkbox"
          checked={withShots}
          disabled={disabled}
          onChange={(e) => setWithShots(e.target.checked)}
          data-testid="split-shots"
        />{' '}
        also few-shot examples for tuning the teacher:{' '}
        <input
          type="number"
          min={1}
          max={1000}
          value={shots}
          disabled={disabled || !withShots}
          onChange={(e) => setShots(Math.max(1, Math.floor(Number(e.target.value) || 1)))}
        />{' '}
        train images per base class (PromptSRC: {PROMPTSRC_SHOTS}, drawn with seed {SHOTS_SEED}; not the images Dassl's sampler picks)
      </label>
      <div className="buttons">
        <PickButton disabled={disabled} testId="split-folder-input" folder onPicked={(input) => onPicked(input)}>
          Choose its image folder…
        </PickButton>
      </div>
      {missing && (
        <p className="notice" role="status" data-testid="split-missing">
          {plural(missing.train + missing.test, 'listed file')} {missing.train + missing.test === 1 ? 'is' : 'are'} not in that folder (
          {missing.train} train, {missing.test} test), e.g. {missing.examples.join(', ')}; the rest were imported.
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
