// Step 2's import setting: how large a copy of each image the studio keeps (engine/data/import-settings.ts).
// It lives in the page address (`#images=full`) like the run's settings, and applies to the folders
// imported after it is set.
import { useMemo } from 'react';
import { REDUCED_EDGE, type ImportSettings } from '../engine/surface.ts';
import { effectiveImportSettings } from './settings.ts';
import { writeSettings } from './SettingsForm.tsx';
import { useStudio } from './store.ts';

const CHOICES: { value: ImportSettings['images']; title: string; cost: string }[] = [
  {
    value: '256',
    title: `${REDUCED_EDGE} px on the shorter side (default)`,
    cost: 'about 0.26 MB per photo. Training crops are cut from this copy, so a small crop is scaled up from few pixels, unlike the CLI and the paper.',
  },
  {
    value: 'full',
    title: 'Full resolution',
    cost: 'width × height × 3 bytes per image: 36 MB for a 12-megapixel photo, 36 GB for a thousand. Crops come from the full image, as in the CLI and the paper; each training view takes longer to make. Images over 40 megapixels are scaled down to 40 (the browser stores no larger value).',
  },
];

export function ImageSizeSetting() {
  const hashText = useStudio((s) => s.hashText);
  const eff = useMemo(() => effectiveImportSettings(hashText), [hashText]);
  const choose = (images: ImportSettings['images']) => useStudio.setState({ hashText: writeSettings(eff, { ...eff.settings, images }) });
  return (
    <fieldset className="image-size" data-testid="image-size">
      <legend>Stored image size</legend>
      {CHOICES.map((c) => (
        <label key={c.value} className="image-size-choice">
          <input
            type="radio"
            name="image-size"
            value={c.value}
            checked={eff.settings.images === c.value}
            onChange={() => choose(c.value)}
            data-testid={`image-size-${c.value}`}
          />{' '}
          <strong>{c.title}</strong>: <span className="muted">{c.cost}</span>
        </label>
      ))}
      <p className="muted">
        For the folders imported from now on; folders already imported keep their copies. In the address as <code>images=256</code> or{' '}
        <code>images=full</code>.
      </p>
      {eff.problems.length > 0 && (
        <p className="notice" role="status">
          {eff.problems.join('; ')}
        </p>
      )}
    </fieldset>
  );
}
