import { BackendPanel } from './BackendPanel.tsx';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>PromptKD Studio</h1>
        <p>Distill a large CLIP teacher into a small CLIP student, in your browser, on your GPU.</p>
      </header>
      <main className="layout">
        <section className="workspace" aria-label="Workspace">
          <h2>Workspace</h2>
          <p className="empty">Nothing here yet. Datasets, teachers and distillation runs will appear here.</p>
        </section>
        <BackendPanel />
      </main>
    </div>
  );
}
