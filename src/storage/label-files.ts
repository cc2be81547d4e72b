// The teacher labels in force (`promptkd label`'s file, merged from its shards on import) in the
// origin private file system: one file, written as a stream, read back as a disk-backed File whose
// logits are read row by row (a label file can be far larger than memory). Why OPFS: model-files.ts.
import { OpfsFiles, type OpfsRoot } from './model-files.ts';

const LABELS = 'labels.safetensors';

export class TeacherLabelStore {
  private readonly files: OpfsFiles;
  constructor(root?: OpfsRoot) {
    this.files = new OpfsFiles('teacher-labels', root);
  }

  /** replaces the stored labels; all or nothing (OpfsFiles.put) */
  save(labels: Blob): Promise<void> {
    return this.files.put(LABELS, labels.stream());
  }
  get(): Promise<File | undefined> {
    return this.files.get(LABELS);
  }
  delete(): Promise<void> {
    return this.files.delete(LABELS);
  }
}
