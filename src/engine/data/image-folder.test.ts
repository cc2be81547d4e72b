import { describe, expect, it } from 'vitest';
import { classNamesOf, classOfPath, isHiddenPath } from './image-folder.ts';

describe('labeled folders (ImageFolder)', () => {
  it('takes the first folder under the root as the class, at any depth', () => {
    expect(classOfPath('dog/2019/x.jpg')).toEqual({ cls: 'dog' });
    expect(classOfPath('cat/y.jpg')).toEqual({ cls: 'cat' });
    expect(classOfPath('dog\\2019\\x.jpg')).toEqual({ cls: 'dog' });
    expect(classOfPath('loose.jpg')).toMatchObject({ reason: expect.stringMatching(/not inside a class folder/) });
  });

  it('sorts the class names and leaves hidden entries out', () => {
    expect(classNamesOf(['dog/2019/x.jpg', 'cat/y.jpg', 'cat/more/z.png', '.git/HEAD', 'loose.png', 'dog/.DS_Store'])).toEqual([
      'cat',
      'dog',
    ]);
    expect(isHiddenPath('cat/__MACOSX/a.jpg')).toBe(true);
    expect(isHiddenPath('cat/a.jpg')).toBe(false);
  });
});
