// A copy of a source tree in which every regular file starts with one line of its own and has
// it again every 128 KiB, so a backup of it uploads every chunk anew (no chunk, at least the
// chunker's 256 KiB minimum, lacks one). The ingest half of the GC benchmark backs up a fresh one per
// run: content like the benchmark dataset's, none of it already in the datastore.

import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SALT_EVERY = 128 * 1024;

export interface SaltedTree {
  files: number;
  bytes: number;
}

/** Copies `from` to `to` (which must not exist), with a line `salt` before every 128 KiB of each regular file. */
export function saltedCopy(from: string, to: string, salt: string): SaltedTree {
  const prefix = Buffer.from(`${salt}\n`);
  const out: SaltedTree = { files: 0, bytes: 0 };
  const walk = (src: string, dst: string): void => {
    mkdirSync(dst);
    for (const name of readdirSync(src).sort()) {
      const s = join(src, name);
      const d = join(dst, name);
      const st = lstatSync(s);
      if (st.isDirectory()) walk(s, d);
      else if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
      else if (st.isFile()) {
        const content = readFileSync(s);
        const parts: Buffer[] = [];
        for (let at = 0; at === 0 || at < content.length; at += SALT_EVERY) parts.push(prefix, content.subarray(at, at + SALT_EVERY));
        const salted = Buffer.concat(parts);
        writeFileSync(d, salted);
        out.files++;
        out.bytes += salted.length;
      }
    }
  };
  walk(from, to);
  return out;
}
