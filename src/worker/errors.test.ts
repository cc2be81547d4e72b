import { describe, expect, it } from 'vitest';
import { HubError } from '../engine/clip/hub.ts';
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

  it('names the Hub repo a token may open, so that the page offers the token field for that repo (and no other)', () => {
    expect(errorInfo(new HubError('unauthorized', 'o/m is gated or private', 'https://hub.test/o/m', 'o/m'))).toEqual({
      kind: 'model',
      message: 'o/m is gated or private',
      tokenFor: 'o/m',
    });
    expect(errorInfo(new HubError('not-found', 'o/m has no config.json', 'https://hub.test/o/m', 'o/m'))).not.toHaveProperty('tokenFor');
  });
});
