// The studio's import settings table (one row so far): how large a copy of each image it keeps. The
// URL hash (`#images=full`) and the Data step's field are made from it; the CLI reads images from
// disk at full size every time and has no such setting.
import type { SettingsTable } from '../settings/table.ts';

export interface ImportSettings {
  /** '256': shorter side at most 256 px (default); 'full': the decoded image as it is */
  images: '256' | 'full';
}

/** the shorter side of the default copy: enough for 224-px CLIPs' centre views at a fraction of a photo's size */
export const REDUCED_EDGE = 256;

/**
 * IndexedDB refuses a value above 127 MiB (Chromium: 133169152 bytes); a full-resolution copy of a
 * larger image (over ~44 megapixels of RGB) is scaled down to this many pixels.
 */
export const MAX_STORED_PIXELS = 40_000_000;

export const IMPORT_SETTINGS: SettingsTable<ImportSettings> = [
  {
    key: 'images',
    hash: 'images',
    flag: null,
    label: 'Stored image size',
    rule: { type: 'enum', values: ['256', 'full'] },
    help: `the copy kept of each imported image: 256 (shorter side at most ${REDUCED_EDGE} px, about 0.26 MB per photo) or full (as decoded, width × height × 3 bytes: 36 MB for a 12-megapixel photo; random crops then come from the full image, as in the CLI and the paper)`,
  },
];

export const DEFAULT_IMPORT_SETTINGS: ImportSettings = { images: '256' };

/** the longest shorter side a stored copy may have; null: the image's own */
export const storedEdgeOf = (s: ImportSettings): number | null => (s.images === 'full' ? null : REDUCED_EDGE);
