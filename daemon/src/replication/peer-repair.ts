// Repair from a replication peer (issue 14, DESIGN section 4): objects this appliance holds
// damaged (quarantined by verification) or lacks are asked from a peer by digest, through the
// same route and frames a pull uses (POST /snapshots/:id/objects with the peer's replicate
// token), and written anew through the verified ingest (object-fetch.ts: every digest checked
// on arrival, nothing indexed that does not match). Indexing the new record lifts the
// quarantine (chunk-store.ts); the damaged record stays dead in its segment, which the store
// check reports as replaced, and compaction drops.
//
// Either side repairs from the other: the offsite from the source it pulls (a pull peer), the
// source from its offsite (a repair-only peer, added with a replicate token of the offsite).
// The objects land in a backup session that is never committed: what arrives lies after its
// start, where garbage collection condemns nothing, and once it ends the snapshots that reach
// the objects keep them.

import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import type { RepairOutcome, UnavailableObject } from '../../../core/src/api/repair.js';
import type { PeerInfo } from '../../../core/src/api/replication.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { Sessions } from '../backup/sessions.js';
import { fetchObjects, missingOf, type FetchDeps } from './object-fetch.js';
import type { PeerStore } from './peer-store.js';
import { SourceClient } from './source-client.js';

const STREAMS = 2;
/** Snapshots of the peer tried by id before falling back to its listings. */
const TRIED_BY_ID = 5;

export interface PeerRepairDeps {
  peers: Pick<PeerStore, 'get' | 'list' | 'token' | 'ownerOf'>;
  sessions: Sessions;
  /** What the verified fetch needs besides the peer, the session and the log. */
  fetch: Omit<FetchDeps, 'source' | 'session' | 'streams' | 'onRetry' | 'onFetched'>;
}

type Log = (message: string, level?: 'info' | 'warn' | 'error') => void;

export class PeerRepair {
  constructor(private readonly deps: PeerRepairDeps) {}

  /** The peer's settings; PEER_NOT_FOUND for an unknown name. */
  peer(name: string): PeerInfo {
    return this.deps.peers.get(name);
  }

  /**
   * The peer that holds copies of a local group, if any: the pull peer that feeds it, else a
   * repair-only peer whose group filter covers it.
   */
  peerFor(group: string): string | null {
    const owner = this.deps.peers.ownerOf(group);
    if (owner !== undefined) return owner;
    const repairer = this.deps.peers.list().find((p) => p.repairOnly === true && (p.groups === null || p.groups.includes(group)));
    return repairer?.name ?? null;
  }

  /**
   * Fetches good copies of `digests` from the peer and writes them anew. `near` are
   * local snapshots that reach them: a snapshot of the peer with the same id is read through,
   * else the newest snapshot of a group the token covers (objects are read by digest).
   */
  async repair(name: string, digests: readonly Buffer[], near: readonly SnapshotSummary[], log: Log): Promise<RepairOutcome> {
    const peer = this.peer(name);
    const outcome: RepairOutcome = { peer: name, repaired: [], unavailable: [] };
    if (digests.length === 0) return outcome;
    const source = new SourceClient({ url: peer.url, token: await this.deps.peers.token(name), fingerprint: peer.fingerprint, streams: STREAMS });
    try {
      const via = await this.viaSnapshot(name, source, near);
      log(`asking peer ${name} for ${digests.length} object(s) through its snapshot ${via.slice(0, 12)}`);
      const group = near[0]?.group ?? 'repair';
      const session = this.deps.sessions.start({ group, host: `repair:${name}`, paths: [], tags: [] }, null);
      session.activeStreams++;
      const deps: FetchDeps = {
        ...this.deps.fetch, source, session, streams: STREAMS,
        onRetry: (err, remaining) => log(`peer ${name}: a stream failed (${err.code}: ${err.message}); ${remaining} object(s) of it asked for again`, 'warn'),
        onFetched: () => undefined,
      };
      const failures = new Map<string, HavenError>();
      try {
        await fetchOrSplit(deps, via, missingOf(deps, digests), failures);
        for (const d of digests) {
          const hex = toHex(d);
          if (this.deps.fetch.objects.isIndexed(d)) outcome.repaired.push(hex);
          else outcome.unavailable.push(unavailable(hex, failures.get(hex)));
        }
      } finally {
        session.activeStreams--;
        if (this.deps.sessions.isOpen(session.info.id)) this.deps.sessions.abort(session.info.id, `repair from ${name} done`);
      }
    } catch (err) {
      // The peer could not be asked at all (unreachable, token refused, no snapshot to read through).
      const reason = err instanceof HavenError ? err : new HavenError('STORAGE_IO', { detail: (err as Error).message });
      log(`peer ${name}: ${reason.message}`, 'error');
      for (const d of digests) {
        const hex = toHex(d);
        if (!outcome.repaired.includes(hex) && !outcome.unavailable.some((u) => u.digest === hex)) outcome.unavailable.push(unavailable(hex, reason));
      }
    } finally {
      source.close();
    }
    for (const hex of outcome.repaired) log(`repaired ${hex} from peer ${name}`);
    for (const u of outcome.unavailable) log(`not repaired ${u.digest}: ${u.reason}`, 'error');
    return outcome;
  }

  /** A snapshot of the peer this token may read, to read objects through. */
  private async viaSnapshot(name: string, source: SourceClient, near: readonly SnapshotSummary[]): Promise<string> {
    for (const s of near.slice(0, TRIED_BY_ID)) {
      try {
        return (await source.snapshot(s.id)).id;
      } catch (err) {
        if (!(err instanceof HavenError) || (err.code !== 'SNAPSHOT_NOT_FOUND' && err.code !== 'FORBIDDEN')) throw err;
      }
    }
    const groups = (await source.groups()).groups.map((g) => g.name);
    const preferred = new Set(near.map((s) => s.group));
    groups.sort((a, b) => Number(preferred.has(b)) - Number(preferred.has(a)));
    for (const group of groups) {
      const newest = (await source.snapshots(group)).snapshots.at(-1);
      if (newest) return newest.id;
    }
    throw new HavenError('PEER_NO_SNAPSHOT', { name });
  }
}

/**
 * Fetches `digests`; when some do not come, halves what is left and tries each half. One
 * object the peer lacks (404 for the whole request) or holds damaged (a cut stream) would
 * otherwise keep back every object after it; halving isolates it in a few requests.
 */
async function fetchOrSplit(deps: FetchDeps, via: string, digests: Uint8Array[], failures: Map<string, HavenError>): Promise<void> {
  try {
    await fetchObjects(deps, via, digests);
  } catch (err) {
    if (deps.shutdown?.aborted) throw err;
    const left = missingOf(deps, digests);
    if (left.length === 1) {
      failures.set(toHex(left[0] as Uint8Array), err instanceof HavenError ? err : new HavenError('STORAGE_IO', { detail: (err as Error).message }));
      return;
    }
    const half = Math.ceil(left.length / 2);
    if (left.length > 0) {
      await fetchOrSplit(deps, via, left.slice(0, half), failures);
      await fetchOrSplit(deps, via, left.slice(half), failures);
    }
  }
}

function unavailable(digest: string, err: HavenError | undefined): UnavailableObject {
  return { digest, reason: err ? `${err.code}: ${err.message}` : 'not available on the peer' };
}
