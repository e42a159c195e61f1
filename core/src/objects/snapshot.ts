// Snapshot, tombstone and protection objects. The appliance writes them (clients never upload these
// kinds) as records in the segments, so the snapshot list can be rebuilt from segments alone.

import { DIGEST_BYTES } from './kinds.js';
import {
  MsgpackError, asArray, asBytes, asSafeInt, asString, decode, encode, isMap, type MsgMap,
} from './msgpack.js';

export const SNAPSHOT_VERSION = 1;

export interface SnapshotRecord {
  group: string;
  /** Commit time, milliseconds since the epoch. */
  time: number;
  host: string;
  paths: string[];
  tags: string[];
  root: Uint8Array;
  session: string;
  /** Digest of the group's previous snapshot when this backup started, if any. */
  parent?: Uint8Array;
  /** Counters (files, dirs, bytes, objectsNew, ...), integers only. */
  stats: Record<string, number>;
  /** The backup's first warnings (SNAPSHOT_WARNINGS_KEPT of api/wire-constants.ts at most); absent when it had none. */
  warnings?: string[];
}

export function encodeSnapshot(s: SnapshotRecord): Uint8Array {
  const stats: MsgMap = {};
  for (const k of Object.keys(s.stats).sort()) stats[k] = s.stats[k];
  return encode({
    v: SNAPSHOT_VERSION,
    group: s.group,
    time: s.time,
    host: s.host,
    paths: s.paths,
    tags: s.tags,
    root: s.root,
    session: s.session,
    parent: s.parent,
    stats,
    // only when there are some: a record without warnings is byte for byte what it was before them
    warnings: s.warnings !== undefined && s.warnings.length > 0 ? s.warnings : undefined,
  });
}

export function decodeSnapshot(bytes: Uint8Array): SnapshotRecord {
  const v = decode(bytes);
  if (!isMap(v) || v.v !== SNAPSHOT_VERSION) throw new MsgpackError('not a version 1 snapshot');
  if (!isMap(v.stats)) throw new MsgpackError('stats: expected a map');
  const stats: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.stats)) stats[k] = asSafeInt(n, `stats.${k}`);
  const s: SnapshotRecord = {
    group: asString(v.group, 'group'),
    time: asSafeInt(v.time, 'time'),
    host: asString(v.host, 'host'),
    paths: asArray(v.paths, 'paths').map((p, i) => asString(p, `paths[${i}]`)),
    tags: asArray(v.tags, 'tags').map((t, i) => asString(t, `tags[${i}]`)),
    root: asBytes(v.root, 'root', DIGEST_BYTES),
    session: asString(v.session, 'session'),
    stats,
  };
  if (v.parent !== undefined) s.parent = asBytes(v.parent, 'parent', DIGEST_BYTES);
  if (v.warnings !== undefined) s.warnings = asArray(v.warnings, 'warnings').map((w, i) => asString(w, `warnings[${i}]`));
  return s;
}

export interface TombstoneRecord {
  snapshot: Uint8Array;
  time: number;
  /** Who deleted it (token name), for the audit trail. */
  by: string;
}

export function encodeTombstone(t: TombstoneRecord): Uint8Array {
  return encode({ v: 1, snapshot: t.snapshot, time: t.time, by: t.by });
}

export function decodeTombstone(bytes: Uint8Array): TombstoneRecord {
  const v = decode(bytes);
  if (!isMap(v) || v.v !== 1) throw new MsgpackError('not a version 1 tombstone');
  return {
    snapshot: asBytes(v.snapshot, 'snapshot', DIGEST_BYTES),
    time: asSafeInt(v.time, 'time'),
    by: asString(v.by, 'by'),
  };
}

export interface ProtectionRecord {
  snapshot: Uint8Array;
  /** true: protected from deletion and pruning; false: that protection lifted. */
  protected: boolean;
  /**
   * Milliseconds since the epoch. For one snapshot, the record with the greatest time is the
   * snapshot's state; the appliance writes each one later than the last (so no two records
   * of a snapshot encode alike and dedupe into one).
   */
  time: number;
  /** Who changed it (token or user name), for the audit trail. */
  by: string;
}

export function encodeProtection(p: ProtectionRecord): Uint8Array {
  return encode({ v: 1, snapshot: p.snapshot, protected: p.protected, time: p.time, by: p.by });
}

export function decodeProtection(bytes: Uint8Array): ProtectionRecord {
  const v = decode(bytes);
  if (!isMap(v) || v.v !== 1) throw new MsgpackError('not a version 1 protection record');
  if (typeof v.protected !== 'boolean') throw new MsgpackError('protected: expected a boolean');
  return {
    snapshot: asBytes(v.snapshot, 'snapshot', DIGEST_BYTES),
    protected: v.protected,
    time: asSafeInt(v.time, 'time'),
    by: asString(v.by, 'by'),
  };
}
