// One numbered step of the workflow, Teachable-Machine style: a card with a title and a one-line status.
import type { ReactNode } from 'react';

export function Step({
  n,
  title,
  status,
  id,
  children,
}: {
  n: number;
  title: string;
  status?: ReactNode;
  id: string;
  children: ReactNode;
}) {
  return (
    <section className="step" aria-labelledby={`${id}-title`} id={id}>
      <header className="step-header">
        <span className="step-number" aria-hidden="true">
          {n}
        </span>
        <h2 id={`${id}-title`}>{title}</h2>
        {status && <span className="step-status">{status}</span>}
      </header>
      <div className="step-body">{children}</div>
    </section>
  );
}
