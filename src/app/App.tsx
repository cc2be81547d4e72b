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
import { StoragePanel } from './StoragePanel.tsx';
import { TeacherPanel } from './TeacherPanel.tsx';
import { WriterBanner } from './WriterBanner.tsx';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>PromptKD Studio</h1>
        <p>Distill a large CLIP teacher into a small CLIP student, in your browser, on your GPU. Your images never leave this device.</p>
        <OfflineStatus />
      </header>
      <main className="layout">
        <div className="workspace" aria-label="Workspace">
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
        </div>
        <aside className="sidebar">
          <ClassroomPanel />
          <BackendPanel />
          <StoragePanel />
        </aside>
      </main>
    </div>
  );
}
