import { describe, expect, it } from 'vitest';
import { errorInfo, StudioInputError } from './errors.ts';

describe('errorInfo', () => {
  it('names an error the browser raised without a message by its name, and a bare QuotaExceededError as quota', () => {
    // Chromium's IndexedDB raises this, message empty, when a write at start-up exceeds the quota
    expect(errorInfo(new DOMException('', 'QuotaExceededError'))).toEqual({
      kind: 'quota',
      message: 'QuotaExceededError (the browser gave no message)',
    });
    expect(errorInfo(new DOMException('', 'UnknownError'))).toEqual({
      kind: 'internal',
      message: 'UnknownError (the browser gave no message)',
    });
    expect(errorInfo(new StudioInputError('"x" holds no files'))).toEqual({ kind: 'input', message: '"x" holds no files' });
  });
});
