// --exclude patterns, shell-glob style: `*` and `?` within one path component, `**` across
// components, `[...]` classes. A pattern without `/` matches an entry's name at any depth
// (`*.o`, `node_modules`); one with `/` matches the entry's path as stored in the snapshot
// (`src/**/tmp`, `/home/*/.cache`), anchored at both ends.

import { closeSync, openSync, readSync } from 'node:fs';
import type { NativePath } from '../../../core/src/native/addon.js';

export type ExcludeMatcher = (storedPath: string, name: string) => boolean;

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

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole components
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i++;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function excludeMatcher(patterns: readonly string[]): ExcludeMatcher {
  const byName: RegExp[] = [];
  const byPath: RegExp[] = [];
  for (const p of patterns) {
    const trimmed = p.endsWith('/') && p.length > 1 ? p.slice(0, -1) : p;
    if (trimmed.includes('/')) byPath.push(globToRegExp(trimmed.replace(/^\.\//, '')));
    else byName.push(globToRegExp(trimmed));
  }
  if (byName.length === 0 && byPath.length === 0) return () => false;
  return (storedPath, name) => byName.some((r) => r.test(name)) || byPath.some((r) => r.test(storedPath));
}
