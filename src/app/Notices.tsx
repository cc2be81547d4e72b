// Errors and warnings as part of the page: what was wrong and what to do, each dismissible.
import { ActionButton } from './ActionButton.tsx';
import { useStudio, type Notice } from './store.ts';

const TITLES: Record<Notice['kind'], string> = {
  quota: 'Not saved',
  device: 'GPU problem',
  input: 'Cannot use that input',
  model: 'Model problem',
  internal: 'Something went wrong',
  stopped: 'Stopped',
  settings: 'Settings',
};

export function Notices() {
  const notices = useStudio((s) => s.notices);
  if (notices.length === 0) return null;
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice-card ${n.kind}`} role="alert" data-testid={`notice-${n.kind}`}>
          <div>
            <strong>{TITLES[n.kind]}.</strong> {n.message}
            {n.kind === 'quota' && (
              <>
                {' '}
                {/* biome-ignore lint/a11y/useValidAnchor: an in-page link; the click scrolls instead of navigating, so the address keeps the run's settings */}
                <a
                  href="#storage"
                  onClick={(e) => {
                    e.preventDefault();
                    document.getElementById('storage')?.scrollIntoView({ behavior: 'smooth' });
                  }}
                >
                  Open storage
                </a>
              </>
            )}
          </div>
          <ActionButton action="dismissNotice" arg={n.id} className="link" icon="×" />
        </div>
      ))}
    </div>
  );
}
