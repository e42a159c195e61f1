// Constants of the wire protocol that code needs without the TypeBox schemas (worker
// threads load no schema library: importing it costs ~0.3 s of start-up per thread).
// backup.ts re-exports them.

/** The chunking algorithm a datastore advertises (docs/FORMAT.md, "Chunking"). */
export const CHUNKER_ALGORITHM = 'fastcdc-gear32-v1';

/** Media types of the binary bodies. */
export const MEDIA_DIGESTS = 'application/vnd.haven.digests';
export const MEDIA_BITMAP = 'application/vnd.haven.bitmap';
export const MEDIA_FRAMES = 'application/vnd.haven.frames';

/** Group names: 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit. */
export const GROUP_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const GROUP_RE = new RegExp(GROUP_PATTERN);

export function isValidGroup(group: string): boolean {
  return GROUP_RE.test(group);
}
