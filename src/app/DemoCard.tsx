// The one-click start: the embedded demo (tiny CLIPs on Fashion-MNIST), offline, for a class or a first look.
import { ActionButton } from './ActionButton.tsx';
import { Tasks } from './Progress.tsx';
import { useStudio } from './store.ts';

export function DemoCard() {
  const starting = useStudio((s) => !!s.busy.startDemo);
  const ready = useStudio((s) => !!s.workspace);
  return (
    <section className="demo-card" aria-label="Demo">
      <div className="demo-text">
        <h2>Try it with the built-in demo</h2>
        <p>
          A tiny CLIP teacher first practises on a few labeled photos of clothes (stage 1), then teaches a tinier CLIP student to sort them
          without a single label (stage 2). Runs offline, in about two minutes, with an explanation of each stage beside it.
        </p>
      </div>
      <ActionButton action="startDemo" className="big" data-testid="demo-start" text={ready ? undefined : 'Checking this browser…'} />
      {starting && (
        <div className="demo-tasks">
          <Tasks only={['demo', 'model', 'teacher', 'evaluate']} />
        </div>
      )}
    </section>
  );
}
