// Constants of the wire protocol that code needs without the TypeBox schemas (worker
// threads load no schema library: importing it costs ~0.3 s of start-up per thread).
// backup.ts re-exports them.

/** The chunking algorithm a datastore advertises (docs/FORMAT.md, "Chunking"). */
export const CHUNKER_ALGORITHM = 'fastcdc-gear32-v1';

/** Media types of the binary bodies. */
export const MEDIA_DIGESTS = 'application/vnd.haven.digests';
export const MEDIA_BITMAP = 'application/vnd.haven.bitmap';
export const MEDIA_FRAMES = 'application/vnd.haven.frames';
