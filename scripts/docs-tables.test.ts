// The generated tables in the docs are what the code says now: docs/settings.md from the settings
// tables, the README's performance headline from the newest run in docs/benchmarks/. `npm run docs`
// rewrites them after a change.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles, withSection } from './docs-tables.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('generated docs', () => {
  it('hold what the code renders (run npm run docs after changing a settings table or publishing a benchmark)', () => {
    for (const [file, text] of generatedFiles()) expect(fs.readFileSync(file, 'utf8'), path.relative(ROOT, file)).toBe(text);
  });

  it('replace only the marked section', () => {
    expect(withSection('a\n<!-- t -->\nold\n<!-- /t -->\nb\n', 't', 'new')).toBe('a\n<!-- t -->\nnew\n<!-- /t -->\nb\n');
    expect(() => withSection('no markers', 't', 'x')).toThrow('no <!-- t --> … <!-- /t --> section');
  });

  // the team's reference notes live outside the repository: what the code relies on is copied into docs/
  const TEAM_REFERENCE = /DESIGN\.md/;

  it('leave the README a front door: at most 220 lines, and no citation of a document outside the repository', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(220);
    const cited: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (['node_modules', '.git', '.tmp', 'dist'].includes(e.name)) continue;
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|tsx|mjs|cjs|md|py|json)$/.test(e.name) && TEAM_REFERENCE.test(fs.readFileSync(p, 'utf8')))
          cited.push(path.relative(ROOT, p));
      }
    };
    walk(ROOT);
    expect(cited).toEqual([]);
  });
});
