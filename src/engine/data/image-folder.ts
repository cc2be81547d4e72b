// The one rule for labeled folders, torchvision's ImageFolder (and Dassl's): the class of an image is
// the first folder under the chosen root, however deep the image lies below it
// (`dog/2019/x.jpg` → dog); classes are those folder names sorted, label i = classes[i]. The studio
// (dropped or picked folders) and the CLI (folders on disk) both label through here.

const segments = (relPath: string) => relPath.split(/[\\/]/).filter((s) => s.length > 0);

/** hidden and system entries that come with folders; never images, never classes */
export const isHiddenPath = (relPath: string): boolean =>
  segments(relPath).some((s) => s.startsWith('.') || s === 'Thumbs.db' || s === '__MACOSX' || s === 'desktop.ini');

/** the class of a file by its path relative to the root, or why it has none */
export function classOfPath(relPath: string): { cls: string } | { reason: string } {
  const parts = segments(relPath);
  if (parts.length < 2) return { reason: 'not inside a class folder (a labeled folder holds one subfolder per class)' };
  return { cls: parts[0]! };
}

/** the classes of a labeled folder's files: the sorted names of the first folders under its root */
export function classNamesOf(relPaths: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const p of relPaths) {
    if (isHiddenPath(p)) continue;
    const c = classOfPath(p);
    if ('cls' in c) names.add(c.cls);
  }
  return [...names].sort();
}
