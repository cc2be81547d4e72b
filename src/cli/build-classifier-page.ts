// `npm run build`, `dev`, `start` and the e2e server: the classifier page's files (classifier-page-files.ts)
// under public/page/, from where the studio's worker fetches them into an export's zip.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifierPageFiles } from './classifier-page-files.ts';

const target = fileURLToPath(new URL('../../public/page/', import.meta.url));
for (const f of await classifierPageFiles()) {
  fs.mkdirSync(path.dirname(path.join(target, f.path)), { recursive: true });
  fs.writeFileSync(path.join(target, f.path), f.data);
}
console.log(`build-classifier-page: the export page's files are in public/page/`);
