// Pausing a peer (the admin's choice, kept in the peer's record so it survives a restart):
// a paused peer neither follows nor runs its schedule, and a pull under way stops before
// its next object request (peer-gate.ts), keeping what arrived; resumed, it goes on from
// there. Its lag alert keeps counting with the reason "paused": an admin who paused a peer
// still wants to know when the offsite falls far behind.

import { HavenError } from '../../../core/src/errors.js';
import type { PeerInfo } from '../../../core/src/api/replication.js';

export function isPaused(peer: PeerInfo): boolean {
  return peer.paused !== undefined && peer.paused !== null;
}

/** The peer paused now by `by` (a peer paused already keeps its first time). */
export function pausedPeer(peer: PeerInfo, by: string, now: number): PeerInfo {
  if (peer.repairOnly === true) throw new HavenError('PEER_REPAIR_ONLY', { name: peer.name });
  if (isPaused(peer)) return peer;
  return { ...peer, paused: { since: new Date(now).toISOString(), by } };
}

export function resumedPeer(peer: PeerInfo): PeerInfo {
  return { ...peer, paused: null };
}

/** The lag alert's reason for a paused peer. */
export function pauseReason(peer: PeerInfo): string | null {
  return peer.paused ? `paused since ${peer.paused.since} by ${peer.paused.by}` : null;
}
