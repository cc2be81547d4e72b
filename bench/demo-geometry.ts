// The demo's geometry: the tiny CLIPs the studio ships (models/) and the demo data's class count.
// Imported as JSON, so the bench bundled into the GPU pack carries them without the repo.
import student from '../models/demo-student/config.json' with { type: 'json' };
import teacher from '../models/demo-teacher/config.json' with { type: 'json' };
import index from '../public/demo/index.json' with { type: 'json' };
import type { GeometryJson } from './geometry.ts';

export const DEMO_GEOMETRY: GeometryJson = { name: 'demo (tiny)', student, teacher, classes: index.classNames.length };
export const DEMO_SOURCE = 'student models/demo-student/config.json; teacher models/demo-teacher/config.json';
/** unlabeled train images of the demo */
export const DEMO_IMAGES: number = index.splits.train.count;
