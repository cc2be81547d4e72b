// What a training step re-renders. A stand-in for React DevTools' global hook, installed before the
// app loads, hears of every commit (react-dom reports commits to that hook in production builds too)
// and counts the function components that rendered in it, by the panel they sit in, the way DevTools'
// profiler tells a rendered fiber from a reused one. Nothing in the app changes.
import { expect, test, type Page } from '@playwright/test';
import { openStudio, stepShown } from './studio-page.ts';

interface Counts {
  commits: number;
  /** renders by panel (the App's child it sits in) */
  panels: Record<string, number>;
  /** renders by component, named by the first element it renders */
  components: Record<string, number>;
}

declare global {
  interface Window {
    __renders: Counts;
  }
}

async function countRenders(page: Page): Promise<void> {
  await page.addInitScript(() => {
    // React's fiber tags and flags (react-reconciler: ReactWorkTags, ReactFiberFlags)
    const FUNCTION = 0,
      HOST = 5,
      FORWARD_REF = 11,
      SIMPLE_MEMO = 15,
      PERFORMED_WORK = 1;
    interface Fiber {
      tag: number;
      flags: number;
      child: Fiber | null;
      sibling: Fiber | null;
      return: Fiber | null;
      alternate: Fiber | null;
      stateNode: unknown;
    }
    const counts: Counts = { commits: 0, panels: {}, components: {} };
    window.__renders = counts;

    const describeElement = (el: Element) => {
      const a = (n: string) => el.getAttribute(n);
      const id = a('data-testid') ?? a('aria-label') ?? a('id') ?? (el.getAttribute('class') || '').split(' ')[0];
      return `${el.tagName.toLowerCase()}${id ? `[${id}]` : ''}`;
    };
    /** the first element a component renders, or null when it renders nothing */
    const firstHost = (f: Fiber): Element | null => {
      for (let c = f.child; c; c = c.sibling) {
        if (c.tag === HOST) return c.stateNode as Element;
        const inner = firstHost(c);
        if (inner) return inner;
      }
      return null;
    };
    /** the App's child that holds `f`: the component whose parent element is the workspace or the sidebar */
    const panelOf = (f: Fiber): string => {
      for (let p: Fiber | null = f; p?.return; p = p.return) {
        const parent = p.return;
        if (parent.tag === HOST && /^(workspace|sidebar)$/.test((parent.stateNode as Element).className)) {
          const el = firstHost(p);
          let at = 0;
          for (let c = parent.child; c && c !== p; c = c.sibling) at++;
          return el ? describeElement(el) : `panel ${at + 1} of the ${(parent.stateNode as Element).className} (empty)`;
        }
      }
      return 'app';
    };
    const rendered: Fiber[] = [];
    // `prev` is the fiber's previous version, null when it mounted; a subtree whose children are
    // the previous commit's was not visited by this render
    const visit = (next: Fiber, prev: Fiber | null) => {
      const fn = next.tag === FUNCTION || next.tag === FORWARD_REF || next.tag === SIMPLE_MEMO;
      if (fn && (prev === null || (next.flags & PERFORMED_WORK) !== 0)) rendered.push(next);
      if (prev !== null && next.child === prev.child) return;
      for (let c = next.child; c; c = c.sibling) visit(c, prev === null ? null : c.alternate);
    };
    (window as unknown as Record<string, unknown>).__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
      supportsFiber: true,
      inject: () => 1,
      checkDCE: () => undefined,
      onCommitFiberUnmount: () => undefined,
      onPostCommitFiberRoot: () => undefined,
      onCommitFiberRoot(_id: number, root: { current: Fiber }) {
        rendered.length = 0;
        visit(root.current, root.current.alternate);
        counts.commits++;
        for (const f of rendered) {
          const el = firstHost(f),
            panel = panelOf(f);
          const name = `${panel} › ${el ? describeElement(el) : 'nothing'}`;
          counts.panels[panel] = (counts.panels[panel] ?? 0) + 1;
          counts.components[name] = (counts.components[name] ?? 0) + 1;
        }
      },
    };
  });
}

test('a training step re-renders only what shows the step', async ({ page }) => {
  test.setTimeout(180_000);
  await countRenders(page);
  // no evaluation or checkpoint in the window: only step events arrive
  const errors = await openStudio(page, '/#backend=wasm&evalEvery=1000&ckptEvery=1000');
  await page.getByTestId('demo-start').click();
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);

  // from here on, count afresh
  const from = await page.evaluate(() => {
    Object.assign(window.__renders, { commits: 0, panels: {}, components: {} });
    return Number(document.querySelector('[data-testid="metric-step"]')!.textContent);
  });
  await expect.poll(() => stepShown(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(from + 20);
  const [counts, to] = await page.evaluate(
    () => [structuredClone(window.__renders), Number(document.querySelector('[data-testid="metric-step"]')!.textContent)] as const,
  );
  const steps = to - from;
  const total = Object.values(counts.panels).reduce((a, b) => a + b, 0);
  const perStep = (n: number) => (n / steps).toFixed(2);
  console.log(`${steps} steps, ${counts.commits} commits, ${total} component renders (${perStep(total)} per step)`);
  for (const [name, n] of Object.entries(counts.components).sort((a, b) => b[1] - a[1]))
    console.log(`  ${perStep(n).padStart(6)}  ${name}`);

  // what shows a step: the Distill step (its status, numbers and run line) and the run's row in Storage
  const showsSteps = new Set(['section[step-distill]', 'section[storage-panel]']);
  for (const [panel, n] of Object.entries(counts.panels)) {
    if (!showsSteps.has(panel)) expect(n, `renders of ${panel} in ${steps} steps`).toBe(0);
  }
  expect(total / steps).toBeLessThanOrEqual(12);
  await page.getByTestId('run-pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  expect(errors).toEqual([]);
});
