// Pulls one snapshot from a source into this appliance (the offsite), DESIGN section 4:
// the record first (its digest must be the id asked for), then its trees level by level
// (fetching only the trees and lists the offsite lacks, reading the rest locally), then the
// data it lacks in large batches, then the record is committed byte for byte after the same
// reachability walk a backup's commit makes. Everything runs inside an open backup session
// of the offsite, so garbage collection leaves what arrived alone until the commit.
//
// Resume comes free: what arrived is indexed, so a pull started again after a crash or a
// cut fetches only what is still missing.

import { HavenError } from '../../../core/src/errors.js';
import { digestKey, sha256, toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotRecord } from '../../../core/src/objects/snapshot.js';
import { scanTreeRefs } from '../../../core/src/objects/tree-refs.js';
import { decodeOrThrow } from '../../../core/src/objects/undecodable.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { commitReplicated, type CommitDeps } from '../backup/commit.js';
import type { Sessions } from '../backup/sessions.js';
import { fetchObjects, missingOf, type FetchDeps } from './object-fetch.js';

export interface PullDeps extends Omit<FetchDeps, 'session'> {
  peer: string;
  sessions: Sessions;
  commit: Omit<CommitDeps, 'sessions'>;
  /** The local group for a source group (the peer's prefix applied). */
  localGroup: (group: string) => string;
  log: (message: string) => void;
}

export interface PullResult {
  /** The snapshot's id on the offsite. */
  local: string;
  /** False when the offsite had it already. */
  committed: boolean;
}

interface Ref {
  digest: Uint8Array;
  kind: ObjectKind;
}

/** The objects a tree or list refers to. */
function childrenOf(kind: ObjectKind, digest: Uint8Array, raw: Buffer): Ref[] {
  const out: Ref[] = [];
  if (kind === ObjectKind.list) {
    const list = decodeOrThrow(digest, 'list', () => decodeList(raw));
    for (const d of list.items) out.push({ digest: d, kind: list.level === 0 ? ObjectKind.data : ObjectKind.list });
    return out;
  }
  // References only (tree-refs.ts): the commit's walk decodes and checks every tree in full.
  const refs = decodeOrThrow(digest, 'tree', () => scanTreeRefs(raw));
  for (const p of refs.parts ?? []) out.push({ digest: p, kind: ObjectKind.tree });
  for (const d of refs.data) out.push({ digest: d, kind: ObjectKind.data });
  for (const l of refs.lists) out.push({ digest: l, kind: ObjectKind.list });
  for (const t of refs.subtrees) out.push({ digest: t, kind: ObjectKind.tree });
  return out;
}

/** The record as the offsite commits it: the source's bytes, or (with a group prefix) re-encoded for the local group. */
async function recordFor(deps: PullDeps, s: SnapshotSummary): Promise<{ raw: Uint8Array; root: Uint8Array; local: string }> {
  const raw = await deps.source.record(s.id);
  const actual = toHex(sha256(raw));
  if (actual !== s.id) throw new HavenError('REPLICATION_RECORD_MISMATCH', { name: deps.peer, id: s.id, actual });
  let record: SnapshotRecord;
  try {
    record = decodeSnapshot(raw);
  } catch (err) {
    throw new HavenError('RESPONSE_INVALID', { what: `GET /snapshots/${s.id}/record`, detail: (err as Error).message });
  }
  // The group the listing named is the one checked against clashes and the peer's filter: a
  // record claiming another would land in a group this peer does not feed.
  if (record.group !== s.group) {
    throw new HavenError('RESPONSE_INVALID', { what: `GET /snapshots/${s.id}/record`, detail: `the record is of group ${record.group}, listed in ${s.group}` });
  }
  const group = deps.localGroup(record.group);
  if (group === record.group) return { raw, root: record.root, local: s.id };
  const renamed = encodeSnapshot({ ...record, group });
  return { raw: renamed, root: record.root, local: toHex(sha256(renamed)) };
}

export async function pullSnapshot(deps: PullDeps, s: SnapshotSummary): Promise<PullResult> {
  const { raw, root, local } = await recordFor(deps, s);
  if (deps.commit.store.catalog.get(local)) return { local, committed: false };
  const localGroup = deps.localGroup(s.group);
  const session = deps.sessions.start({ group: localGroup, host: `replication:${deps.peer}`, paths: s.paths, tags: s.tags }, null);
  const fetch: FetchDeps = { ...deps, session };
  // Counted as a stream for the whole pull, as an upload is: the idle expiry never ends a
  // session that is being worked in, however long a huge snapshot's walk or fetch takes.
  session.activeStreams++;
  try {
    // Trees and lists level by level: a level's missing ones in one fetch, then their children.
    const seen = new Set<string>([digestKey(root)]);
    let level: Ref[] = [{ digest: root, kind: ObjectKind.tree }];
    const data: Uint8Array[] = [];
    while (level.length > 0) {
      await fetchObjects(fetch, s.id, level.map((r) => r.digest));
      const next: Ref[] = [];
      for (const r of level) {
        // A tree a commit found complete has everything under it: pinned (fetchObjects did), not walked.
        if (r.kind === ObjectKind.tree && deps.objects.locate(r.digest)?.complete) continue;
        for (const c of childrenOf(r.kind, r.digest, await deps.objects.readObject(r.digest, r.kind))) {
          const k = digestKey(c.digest);
          if (seen.has(k)) continue;
          seen.add(k);
          if (c.kind === ObjectKind.data) data.push(c.digest);
          else next.push(c);
        }
      }
      level = next;
    }
    const wanted = missingOf(fetch, data);
    deps.log(`snapshot ${s.id.slice(0, 12)} (${s.group}): ${wanted.length} of ${data.length} data objects to fetch`);
    await fetchObjects(fetch, s.id, wanted);
    const done = await commitReplicated({ ...deps.commit, sessions: deps.sessions }, session, raw, root);
    return { local: done.snapshot.id, committed: true };
  } catch (err) {
    if (deps.sessions.isOpen(session.info.id)) deps.sessions.abort(session.info.id, `replication from ${deps.peer} failed`);
    throw err;
  } finally {
    session.activeStreams--;
  }
}
