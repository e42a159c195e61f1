// Segment file naming: segments/NNN/NNNNNNNN.seg, 1024 segments per directory, so even a
// 100 TB datastore (1.6M segments of 64 MiB) keeps directories small.

import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const PER_DIR = 1024;

export function segmentDir(root: string, id: number): string {
  return join(root, 'segments', String(Math.floor(id / PER_DIR)).padStart(3, '0'));
}

export function segmentPath(root: string, id: number): string {
  return join(segmentDir(root, id), `${String(id).padStart(8, '0')}.seg`);
}

/** Every segment id present on disk, ascending. */
export function listSegments(root: string): number[] {
  const base = join(root, 'segments');
  if (!existsSync(base)) return [];
  const ids: number[] = [];
  for (const dir of readdirSync(base)) {
    if (!/^\d{3,}$/.test(dir)) continue;
    for (const f of readdirSync(join(base, dir))) {
      const m = /^(\d{8,})\.seg$/.exec(f);
      if (m) ids.push(Number(m[1]));
    }
  }
  return ids.sort((a, b) => a - b);
}
