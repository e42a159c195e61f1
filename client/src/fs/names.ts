// File names as the kernel has them: strings when they are valid UTF-8 (almost always), the
// exact bytes otherwise, so that a name that is not UTF-8 is backed up and restored intact.

import { readdirSync } from 'node:fs';
import type { NativePath } from '../../../core/src/native/addon.js';

export interface DirName {
  /** UTF-8 name, or a lossy rendering when `raw` is set. */
  name: string;
  /** Exact bytes when the name is not valid UTF-8. */
  raw?: Buffer;
}

// ignoreBOM: a name that begins with U+FEFF keeps it.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes bytes as UTF-8; null when they are not valid UTF-8. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

export function readNames(dir: NativePath): DirName[] {
  const names = readdirSync(dir);
  // Node replaces invalid UTF-8 with U+FFFD: only then is a second, byte-exact read needed.
  if (!names.some((n) => n.includes('\uFFFD'))) return names.map((name) => ({ name }));
  return readdirSync(dir, { encoding: 'buffer' }).map((raw) => {
    const name = utf8OrNull(raw);
    return name === null ? { name: raw.toString('utf8'), raw } : { name };
  });
}

export function joinPath(dir: NativePath, child: DirName): NativePath {
  if (typeof dir === 'string' && child.raw === undefined) return dir === '/' ? `/${child.name}` : `${dir}/${child.name}`;
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const sep = d.length === 1 && d[0] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
  return Buffer.concat([d, sep, child.raw ?? Buffer.from(child.name)]);
}

/**
 * A path for a message: lossy (U+FFFD) when not UTF-8, otherwise exact. Not escaped here:
 * messages also travel in --json output, and the CLI escapes every text line it prints
 * (cli/printable.ts), which also covers paths inside system error messages.
 */
export function showPath(p: NativePath): string {
  return typeof p === 'string' ? p : p.toString('utf8');
}
