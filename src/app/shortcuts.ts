// The studio's keyboard shortcuts: the actions of the registry (actions.ts) that name a key. The `?`
// list and the key handler both read this one table.
import { actions, runAction, type Action, type ActionId, type Shortcut } from './actions.ts';

// shortcuts run actions that take no argument
const run = runAction as (id: ActionId) => Promise<void>;

export const SHORTCUTS: readonly (Shortcut & { action: ActionId })[] = (Object.keys(actions) as ActionId[]).flatMap((action) => {
  const shortcut = (actions[action] as Action<unknown>).shortcut;
  return shortcut ? [{ ...shortcut, action }] : [];
});

/** where every key belongs to what has the focus: typing (and a select's type-ahead) */
const TEXT_ENTRY =
  'input:not([type="radio"], [type="checkbox"], [type="range"], [type="file"]), select, textarea, [contenteditable]:not([contenteditable="false"])';
/** controls that Space presses or ticks (a disabled button presses nothing, so Space there is the shortcut's) */
const PRESSED_BY_SPACE = 'button:not(:disabled), summary, [role="button"], input[type="radio"], input[type="checkbox"]';

/** The action a key press runs, or null when the key is the focused element's own. */
export function shortcutFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'repeat'>,
  focused: Element | null,
): ActionId | null {
  // a held key repeats: Space held down must not pause and resume and pause again
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const hit = SHORTCUTS.find((s) => s.key === key);
  if (!hit) return null;
  if (key !== 'Escape' && focused?.closest(TEXT_ENTRY)) return null;
  // Space on a focused button is that button's click, never also the shortcut's
  if (key === ' ' && focused?.closest(PRESSED_BY_SPACE)) return null;
  return hit.action;
}

/** Listens for the shortcuts on `target`; returns the function that stops listening. */
export function listenForShortcuts(target: Window): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.isComposing) return;
    const action = shortcutFor(e, document.activeElement);
    if (!action) return;
    // Space would also scroll the page
    e.preventDefault();
    void run(action);
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
