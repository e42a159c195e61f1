// The offsite copy of a plan entry's group (the 3-2-1 tile's third light, and what reports
// say about offsite state). Two sides:
//
// - On an offsite, a group a peer brings here (`peer-groups`): this appliance is the offsite
//   copy. Its lag is the peer's (seconds since the oldest source snapshot it lacks was
//   committed; when the peer is failing or behind, at least the time since its last
//   progress, as the lag alert counts it).
// - On the source, the entry's `offsitePeer` names the offsite's replication token (or a
//   repair-only peer of the same name, matched by name). The offsite confirms what it holds
//   by the cursor of its changes requests (replication/offsite-confirmations.ts); the lag is
//   the age of the oldest of the group's snapshots past that cursor.
//
// Green up to the bound (the peer's lag-alert duration; 1h when no peer names it), amber up
// to twice the bound, red beyond, and red when nothing tells of an offsite copy at all.

import type { OffsiteState, PlanEntry } from '../../../core/src/api/plan.js';
import type { FeedCursor, PeerInfo, PeerStatus } from '../../../core/src/api/replication.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { TokenInfo } from '../../../core/src/api/tokens.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import type { OffsiteConfirmation } from '../replication/offsite-confirmations.js';
import { pauseReason } from '../replication/peer-pause.js';
import type { ChangeFeed } from '../store/store-api.js';

/** The bound when no peer of the offsite's name says otherwise (a peer's default lag alert). */
const DEFAULT_BOUND_MS = 3_600_000;
const FEED_PAGE = 1000;

export interface OffsiteStateDeps {
  /** On the offsite: the peer that brings this local group here, with its status; else null. */
  feedingPeer(group: string): PeerStatus | null;
  /** A peer configured here under this name (on the source: a repair-only peer of the offsite). */
  peerNamed(name: string): PeerInfo | null;
  tokens: { list(): TokenInfo[] };
  confirmations: { get(tokenId: string): OffsiteConfirmation | null };
  feed: Pick<ChangeFeed, 'head' | 'after'>;
  catalog: { snapshots(group: string): SnapshotSummary[] };
  now: () => number;
}

/** In words: `45 s`, `12 min`, `3.5 h`, `2.0 d`. */
export function spokenSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

function levelOf(lagMs: number, boundMs: number): OffsiteState['level'] {
  if (lagMs <= boundMs) return 'green';
  return lagMs <= 2 * boundMs ? 'amber' : 'red';
}

const NONE = { role: 'none', peer: null, lagSeconds: null, boundSeconds: null, snapshotsHeld: 0, snapshotsBehind: 0, lastContact: null } as const;

/** Where no offsite state can be computed (tests that build the watch without replication). */
export const OFFSITE_UNKNOWN: OffsiteState = { ...NONE, configured: false, level: 'red', reason: 'not configured: this appliance does not track replication' };

export class OffsiteStates {
  /** Per token: the committed snapshots of each group past its confirmed cursor, until the feed moves. */
  private readonly unconfirmedCache = new Map<string, { key: string; byGroup: Map<string, Set<string>> }>();

  constructor(private readonly deps: OffsiteStateDeps) {}

  of(entry: PlanEntry): OffsiteState {
    const feeding = this.deps.feedingPeer(entry.group);
    if (feeding) return this.asOffsite(entry.group, feeding);
    if (entry.offsitePeer === null) {
      return entry.offsiteRequired === false
        ? { ...NONE, configured: false, level: 'amber', reason: 'no offsite copy (the plan does not require one for this group)' }
        : { ...NONE, configured: false, level: 'red', reason: 'no offsite copy: name the offsite (its replication token) in the plan entry' };
    }
    return this.asSource(entry.group, entry.offsitePeer);
  }

  private asOffsite(group: string, s: PeerStatus): OffsiteState {
    const now = this.deps.now();
    const boundMs = parseDuration(s.peer.lagAlert);
    const stuck = s.lastError !== null || s.snapshotsBehind > 0;
    const silentMs = now - Date.parse(s.lastProgress ?? s.peer.added);
    const lagMs = Math.max(s.lagSeconds * 1000, stuck ? silentMs : 0);
    const level = levelOf(lagMs, boundMs);
    const lag = spokenSeconds(lagMs / 1000);
    const why = s.lastError ? `; last error: ${s.lastError.message}` : s.snapshotsBehind > 0 ? `; ${s.snapshotsBehind} snapshot(s) still to pull` : '';
    const paused = pauseReason(s.peer);
    return {
      configured: true, level, role: 'offsite', peer: s.peer.name,
      reason: `this appliance is the offsite copy, pulled from ${s.peer.name}: lag ${lag} (bound ${s.peer.lagAlert})${paused ? `; ${paused}` : ''}${why}`,
      lagSeconds: lagMs / 1000, boundSeconds: boundMs / 1000,
      snapshotsHeld: this.deps.catalog.snapshots(group).length, snapshotsBehind: s.snapshotsBehind, lastContact: s.lastProgress,
    };
  }

  private asSource(group: string, name: string): OffsiteState {
    const peer = this.deps.peerNamed(name);
    const boundMs = peer ? parseDuration(peer.lagAlert) : DEFAULT_BOUND_MS;
    const named = this.deps.tokens.list().filter((t) => t.name === name && isReplicationToken(t));
    const covering = named.filter((t) => covers(t, group));
    const red = (reason: string): OffsiteState => ({ ...NONE, configured: named.length > 0 || peer !== null, level: 'red', reason, peer: name, boundSeconds: boundMs / 1000 });
    if (named.length === 0) {
      return red(`no replication token named ${name}: the offsite pulls with one (havend token create ${name} --scope replicate)`
        + (peer ? `; the peer ${name} here does not copy this appliance's backups offsite` : ''));
    }
    if (covering.length === 0) return red(`the replication token ${name} does not cover ${group} (${named[0]?.scopes.join(', ')})`);
    // Several tokens of one name: the offsite that confirmed most recently speaks for them.
    const heard = covering.map((t) => this.deps.confirmations.get(t.id)).filter((c): c is OffsiteConfirmation => c !== null)
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (!heard) return red(`the offsite ${name} has not asked for changes yet: it holds nothing confirmed`);

    const snapshots = this.deps.catalog.snapshots(group);
    const past = this.unconfirmed(heard, group);
    const behind = past === null ? snapshots : snapshots.filter((s) => past.has(s.id));
    const oldest = behind.reduce((min, s) => Math.min(min, Date.parse(s.time)), Infinity);
    const lagMs = behind.length === 0 ? 0 : Math.max(0, this.deps.now() - oldest);
    const level = levelOf(lagMs, boundMs);
    const bound = spokenSeconds(boundMs / 1000);
    const asked = `last asked ${heard.at}`;
    const reason = behind.length === 0
      ? `the offsite ${name} has confirmed ${snapshots.length === 0 ? 'everything (no snapshot yet)' : `all ${snapshots.length} snapshot(s)`}; ${asked}`
      : `the offsite ${name} lags ${spokenSeconds(lagMs / 1000)} (bound ${bound}): ${behind.length} snapshot(s) not confirmed, the oldest from ${new Date(oldest).toISOString()}; ${asked}`;
    return {
      configured: true, level, reason, role: 'source', peer: name, lagSeconds: lagMs / 1000, boundSeconds: boundMs / 1000,
      snapshotsHeld: snapshots.length - behind.length, snapshotsBehind: behind.length, lastContact: heard.at,
    };
  }

  /**
   * The group's snapshots committed after the confirmed cursor (the feed read once per token
   * until it moves); null when the cursor confirms nothing of this feed (none, or another epoch).
   */
  private unconfirmed(c: OffsiteConfirmation, group: string): Set<string> | null {
    const head = this.deps.feed.head();
    if (c.cursor === null || c.cursor.epoch !== head.epoch) return null;
    const key = `${c.cursor.seq}/${head.epoch}:${head.seq}`;
    let cached = this.unconfirmedCache.get(c.tokenId);
    if (cached?.key !== key) {
      cached = { key, byGroup: committedAfter(this.deps.feed, c.cursor) };
      this.unconfirmedCache.set(c.tokenId, cached);
    }
    return cached.byGroup.get(group) ?? new Set();
  }
}

/** Snapshots committed after `cursor`, by group (a deleted one is no longer the offsite's to hold). */
function committedAfter(feed: Pick<ChangeFeed, 'after'>, cursor: FeedCursor): Map<string, Set<string>> {
  const byGroup = new Map<string, Set<string>>();
  for (let at = cursor; ;) {
    const page = feed.after(at, FEED_PAGE);
    for (const c of page.changes) {
      let ids = byGroup.get(c.group);
      if (!ids) byGroup.set(c.group, (ids = new Set()));
      if (c.type === 'committed') ids.add(c.snapshot);
      else ids.delete(c.snapshot);
    }
    if (page.changes.length < FEED_PAGE) return byGroup;
    at = page.cursor;
  }
}

function isReplicationToken(t: TokenInfo): boolean {
  return t.scopes.some((s) => s === 'replicate' || s.startsWith('replicate:'));
}

function covers(t: TokenInfo, group: string): boolean {
  return t.scopes.includes('replicate') || t.scopes.includes(`replicate:${group}`);
}
