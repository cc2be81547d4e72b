// A file input the page never shows: a button of the caller's opens it through `ref`. It takes
// files, or with `folder` a whole folder (Chromium's webkitdirectory); the caller gets the input
// itself, to read its files and clear it so that picking the same again fires again.
import type { RefObject } from 'react';

interface Props {
  ref: RefObject<HTMLInputElement | null>;
  testId: string;
  onPicked(input: HTMLInputElement): void;
  folder?: boolean;
  /** several files (a folder is always many) */
  multiple?: boolean;
  accept?: string;
}

export function HiddenFileInput({ ref, testId, onPicked, folder = false, multiple = folder, accept }: Props) {
  return (
    <input
      ref={ref}
      type="file"
      className="hidden-input"
      data-testid={testId}
      multiple={multiple}
      accept={accept}
      {...(folder ? { webkitdirectory: '', directory: '' } : {})}
      onChange={(e) => onPicked(e.currentTarget)}
    />
  );
}
