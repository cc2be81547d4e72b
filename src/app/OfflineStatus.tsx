// Whether the studio works without the network. The built app registers the service worker that
// vite-plugin-pwa generates (vite.config.ts); it precaches the app, onnxruntime's WASM and the demo's
// data and models while it installs, so once it is active a reload without the network still runs
// the demo. The dev server builds no service worker: nothing to say there.
import { useEffect, useState } from 'react';
import { bytes } from './format.ts';

type Offline = { state: 'saving' } | { state: 'ready' } | { state: 'unavailable'; why: string };

const WORDS = {
  saving: 'Saving the studio in this browser for offline use…',
  ready: 'Ready to work offline: the studio, its WASM engine and the demo are saved in this browser.',
} as const;

/**
 * Why the offline copy was refused. The worker's own error stays inside it; a refused precache is
 * almost always storage, and the estimate tells a full disk from a site the browser keeps small (a
 * private window, a quota set lower than the estimate shows).
 */
async function shortOfStorage(): Promise<string> {
  const est = await navigator.storage?.estimate().catch(() => null);
  const free = est?.quota !== undefined && est.usage !== undefined ? est.quota - est.usage : null;
  const room =
    free === null
      ? 'it gives no storage estimate'
      : free < 100e6
        ? `only ${bytes(free)} is free`
        : `it reports ${bytes(free)} free but may keep less for this site (private windows do)`;
  return `the browser would not keep the offline copy of the studio and its demo (tens of MB): storage is short (${room}). Everything works while online; to work offline, free space or allow this site more storage, then reload`;
}

export function OfflineStatus() {
  const [status, setStatus] = useState<Offline>({ state: 'saving' });
  useEffect(() => {
    if (!import.meta.env.PROD) return;
    // absent outside secure contexts and in some private windows
    if (!('serviceWorker' in navigator)) {
      setStatus({ state: 'unavailable', why: 'this browser offers no service workers here' });
      return;
    }
    let live = true;
    const set = (s: Offline) => {
      if (live) setStatus(s);
    };
    const base = import.meta.env.BASE_URL;
    navigator.serviceWorker
      .register(`${base}sw.js`, { scope: base })
      .then((reg) => {
        // an install that fails (a download refused, storage full) leaves the worker redundant, and
        // `ready` would never settle
        const installing = reg.installing;
        installing?.addEventListener('statechange', () => {
          if (installing.state === 'redundant' && !reg.active) void shortOfStorage().then((why) => set({ state: 'unavailable', why }));
        });
        return navigator.serviceWorker.ready;
      })
      .then(
        () => set({ state: 'ready' }),
        (e: unknown) => set({ state: 'unavailable', why: e instanceof Error ? e.message : String(e) }),
      );
    return () => {
      live = false;
    };
  }, []);
  if (!import.meta.env.PROD) return null;
  return (
    <p className="offline-status" data-testid="offline-status" data-state={status.state} role="status">
      {status.state === 'unavailable' ? `Needs the network on every visit: ${status.why}.` : WORDS[status.state]}
    </p>
  );
}
