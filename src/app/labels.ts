// Teacher labels in force, as the page shows them and checks a run against them before Start: the
// labels' classes against the workspace's, their views against the run's settings (the engine's own
// rules, engine/surface.ts), and the worker's word on the unlabeled folder's images.
import { classesMismatch, recipeMismatch, type RunSettings } from '../engine/surface.ts';
import type { TeacherLabelsInfo } from '../worker/protocol.ts';
import { plural } from './format.ts';

/** why a run of `settings` over `classes` cannot start from these labels; null when it can */
export function labelsProblem(labels: TeacherLabelsInfo, classes: readonly string[], settings: RunSettings): string | null {
  return classesMismatch(labels.classes, classes) ?? recipeMismatch(labels.recipe, settings) ?? labels.coverage?.problem ?? null;
}

/** what the labels hold, in one line */
export function describeLabels(l: TeacherLabelsInfo): string {
  const r = l.recipe;
  const views = r.augment ? `${plural(r.views, 'random crop')} each (seed ${r.seed})` : 'the centre view of each';
  const test = l.testImages ? `, and ${plural(l.testImages, 'test image')}` : ', no test images (no teacher reference line)';
  return `${plural(l.images, 'image')}, ${views}, over ${plural(l.classes.length, 'class', 'classes')}${test}`;
}
