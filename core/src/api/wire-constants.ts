// Constants of the wire protocol that code needs without the TypeBox schemas (worker
// threads and havend's CLI subcommands load no schema library: importing it costs ~0.3-0.6 s of
// start-up per process or thread). The schema modules (backup.ts, auth.ts, tokens.ts, plan.ts) re-export them.

import type { SessionStats } from './backup.js';

/** The chunking algorithm a datastore advertises (docs/FORMAT.md, "Chunking"). */
export const CHUNKER_ALGORITHM = 'fastcdc-gear32-v1';

/** Media types of the binary bodies. */
export const MEDIA_DIGESTS = 'application/vnd.haven.digests';
export const MEDIA_BITMAP = 'application/vnd.haven.bitmap';
export const MEDIA_FRAMES = 'application/vnd.haven.frames';

/**
 * A snapshot keeps the first this many of its backup's warnings (files skipped, changed while
 * read, ...), each at most WARNING_MAX_CHARS long: the admin reading the appliance sees which
 * files, not only how many (the `warnings` counter counts them all), and the record stays small.
 */
export const SNAPSHOT_WARNINGS_KEPT = 50;
export const WARNING_MAX_CHARS = 4096;

/** Group names: 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit. */
export const GROUP_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const GROUP_RE = new RegExp(GROUP_PATTERN);

export function isValidGroup(group: string): boolean {
  return GROUP_RE.test(group);
}

/**
 * Token scopes: `admin` (implies every scope), `backup:<group>` (create and read that group, never
 * delete), `replicate` (read every group and the change feed: an offsite peer), `replicate:<group>`
 * (the same for one group), `metrics` (GET /metrics only).
 */
export const TOKEN_SCOPE_PATTERN = `^(admin|replicate|metrics|(backup|replicate):${GROUP_PATTERN.slice(1, -1)})$`;

export function isValidScope(scope: string): boolean {
  return new RegExp(TOKEN_SCOPE_PATTERN).test(scope);
}

/** Admin account names. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';
export const PASSWORD_MIN_LENGTH = 10;

/** `drillSchedule` that keeps an entry off every drill schedule (drilled on demand only). */
export const DRILL_NEVER = 'never';

/** A session's counters before its first request. */
export function emptySessionStats(): SessionStats {
  return {
    hasQueried: 0, hasPresent: 0, framesReceived: 0, objectsNew: 0, objectsDuplicate: 0,
    bytesReceived: 0, bytesNew: 0, rawBytesNew: 0, streams: 0,
  };
}
