// A test-side view of the engine worker, installed before the app loads: it records every event the
// worker sends and lets a test send protocol requests of its own (replies with ids ≥ 1e9 are the
// test's; the app's client ignores ids it did not send). Nothing in the app changes.
import type { Page } from '@playwright/test';
import type { EngineApi, EngineEvent, RequestKind } from '../src/worker/protocol.ts';

interface HookState {
  worker: Worker | null;
  /** every event, with `t`: the page's performance.now() when it arrived (ms) */
  events: (EngineEvent & { t: number })[];
  replies: Map<number, { ok: boolean; result?: unknown; error?: { kind: string; message: string } }>;
  nextId: number;
}

declare global {
  interface Window {
    __engineHook: HookState;
  }
}

export async function installEngineHook(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const hook: HookState = { worker: null, events: [], replies: new Map(), nextId: 1e9 };
    window.__engineHook = hook;
    const Native = window.Worker;
    window.Worker = class extends Native {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        hook.worker = this;
        this.addEventListener('message', (e: MessageEvent) => {
          const m = e.data;
          if (!('id' in m)) hook.events.push({ ...m, t: Math.round(performance.now()) });
          else if (m.id >= 1e9) hook.replies.set(m.id, m);
        });
      }
    };
  });
}

/** the events of kind `kind` recorded since the page loaded */
export async function engineEvents<K extends EngineEvent['kind']>(page: Page, kind: K): Promise<Extract<EngineEvent, { kind: K }>[]> {
  return page.evaluate((k) => window.__engineHook.events.filter((e) => e.kind === k), kind) as never;
}

/**
 * Sends a request as the test (not the app) and waits for its reply. `files` become File objects
 * in the page (name → bytes) and replace the body fields of the same name.
 */
export async function engineRequest<K extends RequestKind>(
  page: Page,
  kind: K,
  body: Partial<EngineApi[K]['request']>,
  files: Record<string, { name: string; bytes: number[] }> = {},
): Promise<EngineApi[K]['result']> {
  const reply = await page.evaluate(
    async ([k, b, f]) => {
      const hook = window.__engineHook;
      const id = hook.nextId++;
      const withFiles = {
        ...(b as Record<string, unknown>),
        ...Object.fromEntries(Object.entries(f).map(([field, v]) => [field, new File([new Uint8Array(v.bytes)], v.name)])),
      };
      hook.worker!.postMessage({ id, kind: k, ...withFiles });
      while (!hook.replies.has(id)) await new Promise((r) => setTimeout(r, 50));
      return hook.replies.get(id)!;
    },
    [kind, body, files] as const,
  );
  if (!reply.ok) throw new Error(`${kind} failed (${reply.error!.kind}): ${reply.error!.message}`);
  return reply.result as never;
}
