// Creating a directory and its missing parents, one component at a time. Node 20's
// mkdirSync(path, { recursive: true }) spins forever, at full CPU, when mkdir answers ENOENT
// under a parent that exists (procfs and sysfs do: `haven restore --target /proc/1/x` never
// returned). Here each component is made once: any error but "it exists already" is thrown
// as it came, and an existing non-directory is ENOTDIR.

import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDirs(path: string, mode?: number): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st) {
      // a symlink to a directory is a directory to create under, as mkdir -p takes it
      if (!(st.isDirectory() || (st.isSymbolicLink() && statSync(p, { throwIfNoEntry: false })?.isDirectory()))) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR', path: p });
      }
      break;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p, mode === undefined ? undefined : { mode });
    } catch (err) {
      // made meanwhile by someone else: what was wanted
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(p).isDirectory()) throw err;
    }
  }
}
