// A file input the page never shows: a button of the caller's opens it through `ref`. It takes
// files, or with `folder` a whole folder (Chromium's webkitdirectory); the caller gets the input
// itself, to read its files and clear it so that picking the same again fires again. PickButton is
// the usual pair: a button and the input it opens.
import { useRef, type ReactNode, type RefObject } from 'react';

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

interface PickButtonProps extends Omit<Props, 'ref'> {
  /** the button's words */
  children: ReactNode;
  disabled?: boolean;
  title?: string;
  buttonTestId?: string;
}

/** A button that opens its own hidden file input: the usual way to pick files or a folder. */
export function PickButton({ children, disabled, title, buttonTestId, ...input }: PickButtonProps) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={disabled}
        title={title}
        data-testid={buttonTestId}
        onClick={() => ref.current?.click()}
      >
        {children}
      </button>
      <HiddenFileInput ref={ref} {...input} />
    </>
  );
}
