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
          A tiny CLIP teacher teaches a tinier CLIP student to sort photos of clothes, without a single label. Runs offline, in about a minute or two,
          with an explanation of each stage beside it.
        </p>
      </div>
      <ActionButton action="startDemo" className="big" data-testid="demo-start" text={ready ? undefined : 'Checking this browser…'} />
      {starting && <div className="demo-tasks"><Tasks only={['demo', 'model', 'teacher', 'evaluate']} /></div>}
    </section>
  );
}
