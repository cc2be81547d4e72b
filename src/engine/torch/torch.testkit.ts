// Test helpers: a Blob that counts the bytes fetched through slice(), to check that readers are lazy;
// the python3 that has PyTorch, for the tests that check our files against torch itself.
import { spawnSync } from 'node:child_process';

export class CountingBlob extends Blob {
  read = 0;
  override slice(start?: number, end?: number, contentType?: string): Blob {
    const s = super.slice(start, end, contentType);
    this.read += s.size;
    return s;
  }
}

/** the first python3 that imports torch: $PYTHON, python3 on the PATH, then Debian's */
export function findTorchPython(): { python: string } | { reason: string } {
  const tried: string[] = [];
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p)) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python };
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return { reason: `no python3 with PyTorch (${tried.join('; ')}); install it with apt-get install python3-torch` };
}
