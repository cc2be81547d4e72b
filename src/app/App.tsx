import { useEffect, useRef } from 'react';
import { ActionButton } from './ActionButton.tsx';
import { BackendPanel } from './BackendPanel.tsx';
import { ClassesPanel } from './ClassesPanel.tsx';
import { ClassroomPanel } from './ClassroomPanel.tsx';
import { DataPanel } from './DataPanel.tsx';
import { DemoCard } from './DemoCard.tsx';
import { DistillPanel } from './DistillPanel.tsx';
import { ModelsPanel } from './ModelsPanel.tsx';
import { Notices } from './Notices.tsx';
import { OfflineStatus } from './OfflineStatus.tsx';
import { ResultsPanel } from './ResultsPanel.tsx';
import { ResumeOffer } from './ResumeOffer.tsx';
import { listenForShortcuts } from './shortcuts.ts';
import { ShortcutsDialog } from './ShortcutsDialog.tsx';
import { StoragePanel } from './StoragePanel.tsx';
import { TeacherPanel } from './TeacherPanel.tsx';
import { WriterBanner } from './WriterBanner.tsx';
import { useStudio } from './store.ts';

export function App() {
  const presenting = useStudio((s) => s.presenting);
  const hasRun = useStudio((s) => !!s.run);
  useEffect(() => listenForShortcuts(window), []);
  // present mode starts at the top of the page; leaving it goes back to where the page was
  const scrolledTo = useRef<number | null>(null);
  useEffect(() => {
    if (presenting) {
      scrolledTo.current = window.scrollY;
      window.scrollTo(0, 0);
    } else if (scrolledTo.current !== null) {
      window.scrollTo(0, scrolledTo.current);
      scrolledTo.current = null;
    }
  }, [presenting]);
  // present mode hides the rest of the page with CSS (styles.css, `.presenting`) instead of unmounting
  // it: leaving it finds every panel as it was, half-typed class names and chosen files included
  return (
    <div className={`app${presenting ? ' presenting' : ''}${hasRun ? ' has-run' : ''}`} data-testid="app" data-presenting={presenting}>
      <header className="app-header">
        <div className="app-title">
          <h1>PromptKD Studio</h1>
          <p>Distill a large CLIP teacher into a small CLIP student, in your browser, on your GPU. Your images never leave this device.</p>
          <OfflineStatus />
        </div>
        <div className="buttons app-commands">
          <ActionButton
            action="togglePresent"
            className="secondary"
            data-testid="present-toggle"
            aria-pressed={presenting}
            aria-keyshortcuts="p"
            text={presenting ? 'Leave present mode' : undefined}
          />
          <ActionButton
            action="showShortcuts"
            className="secondary"
            data-testid="shortcuts-open"
            text="Shortcuts ?"
            aria-keyshortcuts="?"
          />
        </div>
      </header>
      <main className="layout">
        <section className="workspace" aria-label="Workspace">
          <WriterBanner />
          <Notices />
          <ResumeOffer />
          <DemoCard />
          <ClassesPanel />
          <DataPanel />
          <ModelsPanel />
          <TeacherPanel />
          <DistillPanel />
          <ResultsPanel />
        </section>
        <aside className="sidebar">
          <ClassroomPanel />
          <BackendPanel />
          <StoragePanel />
        </aside>
      </main>
      <ShortcutsDialog />
    </div>
  );
}
