// Real bytes for tests: files from the system (binaries, libraries, text), concatenated.

import { createCipheriv, createHash } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

const ROOTS = ['/usr/lib/x86_64-linux-gnu', '/usr/share/doc', '/usr/include', '/usr/bin', '/usr/lib'];

/** Real files from the system, in a stable order, until `bytes` are gathered (the last one whole). */
export function realFiles(bytes: number, maxFileBytes = 64 << 20): Array<{ path: string; content: Buffer }> {
  const files: Array<{ path: string; content: Buffer }> = [];
  let total = 0;
  const visit = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // unreadable directories are simply not part of the sample
    }
    for (const name of names) {
      if (total >= bytes) return;
      const p = join(dir, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory() && depth < 4) visit(p, depth + 1);
      else if (st.isFile() && st.size > 0 && st.size < maxFileBytes) {
        try {
          const content = readFileSync(p);
          files.push({ path: p, content });
          total += content.length;
        } catch {
          // unreadable file: skip it
        }
      }
    }
  };
  for (const root of ROOTS) visit(root, 0);
  return files;
}

/** Up to `bytes` of real file content, deterministic for a given machine. */
export function realData(bytes: number): Buffer {
  return Buffer.concat(realFiles(bytes).map((f) => f.content)).subarray(0, bytes);
}

/** Deterministic pseudo-random bytes (AES-256-CTR keyed by the seed), so failures reproduce. */
export function seededBytes(bytes: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
}
