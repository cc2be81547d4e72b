// One tab writes the studio's data. Two tabs sharing one IndexedDB would otherwise both run and
// checkpoint the same run, or one would delete what the other trains on. The Web Locks API grants
// the lock to the first tab; another opens read-only, and can take the lock over (the first tab then
// turns read-only itself). Where a browser has no Web Locks, every tab writes, as before.
const LOCK = 'promptkd-studio-writer';

/**
 * Asks for the writer's lock, held while the page lives. Resolves true when this tab holds it;
 * `steal` takes it from the tab that holds it. `onLost` runs if another tab takes it later.
 */
export function claimWriter(onLost: () => void, steal = false): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.locks) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    navigator.locks
      .request(LOCK, steal ? { steal: true } : { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return null;
        }
        resolve(true);
        return new Promise<void>(() => {}); // held until the page goes away, or another tab steals it
      })
      .catch((e: unknown) => {
        // a stolen lock rejects the request that held it
        if ((e as Error).name === 'AbortError') onLost();
      });
  });
}
