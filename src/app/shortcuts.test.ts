import { describe, expect, it } from 'vitest';
import { SHORTCUTS, shortcutFor } from './shortcuts.ts';

const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'repeat', boolean>> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  repeat: false,
  ...mods,
});

/** a focused element that is (or sits inside) what `matches` says, for Element.closest */
const focusedOn = (matches: (selector: string) => boolean) =>
  ({ closest: (sel: string) => (matches(sel) ? {} : null) }) as unknown as Element;
const button = focusedOn((sel) => sel.includes('button:not(:disabled)'));
const textField = focusedOn((sel) => sel.startsWith('input:not'));
const radio = focusedOn((sel) => sel.includes('input[type="radio"]'));

describe('keyboard shortcuts', () => {
  it('are read from the action registry, one action per key', () => {
    expect(SHORTCUTS.map((s) => [s.name, s.action])).toEqual([
      ['Space', 'pauseOrResume'],
      ['P', 'togglePresent'],
      ['?', 'showShortcuts'],
      ['Esc', 'closeView'],
    ]);
    expect(new Set(SHORTCUTS.map((s) => s.key)).size).toBe(SHORTCUTS.length);
    for (const s of SHORTCUTS) expect(s.does.length).toBeGreaterThan(0);
  });

  it('map a key to its action on the page, letters in either case', () => {
    expect(shortcutFor(key(' '), null)).toBe('pauseOrResume');
    expect(shortcutFor(key('p'), null)).toBe('togglePresent');
    expect(shortcutFor(key('P'), null)).toBe('togglePresent');
    expect(shortcutFor(key('?'), null)).toBe('showShortcuts');
    expect(shortcutFor(key('Escape'), null)).toBe('closeView');
    expect(shortcutFor(key('x'), null)).toBeNull();
  });

  it('leave the browser its own keys: modifiers, held keys, typing', () => {
    expect(shortcutFor(key('p', { ctrlKey: true }), null)).toBeNull();
    expect(shortcutFor(key('p', { metaKey: true }), null)).toBeNull();
    expect(shortcutFor(key(' ', { repeat: true }), null)).toBeNull();
    expect(shortcutFor(key('p'), textField)).toBeNull();
    expect(shortcutFor(key(' '), textField)).toBeNull();
    // Esc still closes the list or leaves present mode from a field
    expect(shortcutFor(key('Escape'), textField)).toBe('closeView');
  });

  it('leave Space to a focused button (its own click), but not the letters', () => {
    expect(shortcutFor(key(' '), button)).toBeNull();
    expect(shortcutFor(key('p'), button)).toBe('togglePresent');
    // a radio or checkbox: Space ticks it, the letters and ? are still the page's
    expect(shortcutFor(key(' '), radio)).toBeNull();
    expect(shortcutFor(key('?'), radio)).toBe('showShortcuts');
    // a disabled button is pressed by nothing: Space is the shortcut's
    expect(
      shortcutFor(
        key(' '),
        focusedOn(() => false),
      ),
    ).toBe('pauseOrResume');
  });
});
