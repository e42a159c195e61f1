// What decides, besides the --exclude patterns (core/src/text/path-glob.ts), what a backup
// leaves out: cache directories (--exclude-caches) and the patterns of --exclude-file.

import { closeSync, openSync, readSync } from 'node:fs';
import type { NativePath } from '../../../core/src/native/addon.js';

/** The file that marks a directory as a cache (https://bford.info/cachedir/), and how it must begin. */
export const CACHEDIR_TAG = 'CACHEDIR.TAG';
const CACHEDIR_SIGNATURE = Buffer.from('Signature: 8a477f597d28d172789f06886806bc55');

/** Whether the file begins with the cache directory signature (a name alone does not mark a cache). */
export function isCacheTag(path: NativePath): boolean {
  const head = Buffer.alloc(CACHEDIR_SIGNATURE.length);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false; // unreadable or gone: not a tag, the directory is backed up (and the file warned about)
  }
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(CACHEDIR_SIGNATURE);
  } finally {
    closeSync(fd);
  }
}

/** Patterns from an exclude file: one per line; blank lines and lines starting with # are skipped. */
export function patternsOf(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
