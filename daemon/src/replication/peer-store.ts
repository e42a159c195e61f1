// The offsite's peers (the sources it pulls from), kept in the daemon's state db like
// retention policies: the appliance's settings, not the datastore's. A peer's token is a
// secret of the source: it is written to a file of its own in the state directory (0600,
// in a 0700 folder), never into the db, so a copy of the db does not carry it.
//
// Beside each peer: its progress (cursor in the source's feed, counters, last error), the
// snapshots it brought (source id -> local id: what the offsite deleted itself is not
// fetched again), and the local groups it owns (a group is fed by one source only).

import { chmod, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from 'lmdb';
import { HavenError } from '../../../core/src/errors.js';
import type { AddPeerRequest, FeedCursor, PeerInfo } from '../../../core/src/api/replication.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import type { StateDb } from '../state/state-db.js';
import { limitsOf, withLimits } from './peer-limits.js';

export const FOLLOW = 'follow';
const DEFAULT_LAG_ALERT = '1h';

export interface PeerProgress {
  cursor: FeedCursor | null;
  snapshotsPulled: number;
  objectsFetched: number;
  bytesFetched: number;
  lastProgress: string | null;
  lastError: { code: string; message: string; time: string } | null;
}

export interface PulledSnapshot {
  /** The snapshot's id on the offsite (the source's id unless the peer has a group prefix). */
  local: string;
  time: string;
}

/** The peer a request describes (its token aside). */
export function peerInfoOf(req: AddPeerRequest, now: number): PeerInfo {
  return {
    name: req.name, url: req.url.replace(/\/+$/, ''), fingerprint: req.fingerprint ?? null, groups: req.groups ?? null,
    groupPrefix: req.groupPrefix ?? null, schedule: req.schedule ?? FOLLOW, lagAlert: req.lagAlert ?? DEFAULT_LAG_ALERT,
    added: new Date(now).toISOString(), repairOnly: req.repairOnly === true,
    ...limitsOf(req),
  };
}

export const EMPTY_PROGRESS: PeerProgress = {
  cursor: null, snapshotsPulled: 0, objectsFetched: 0, bytesFetched: 0, lastProgress: null, lastError: null,
};

export class PeerStore {
  private readonly peers: Database<PeerInfo, string>;
  private readonly progressDb: Database<PeerProgress, string>;
  private readonly pulled: Database<PulledSnapshot, [string, string]>;
  private readonly owners: Database<string, string>;
  private readonly tokenDir: string;

  constructor(state: StateDb, stateDir: string, private readonly now: () => number = Date.now) {
    this.peers = state.db<PeerInfo>('peers');
    this.progressDb = state.db<PeerProgress>('peer-progress');
    this.pulled = state.db<PulledSnapshot, [string, string]>('peer-pulled');
    this.owners = state.db<string>('peer-groups');
    this.tokenDir = join(stateDir, 'replication');
  }

  list(): PeerInfo[] {
    return [...this.peers.getRange()].map((e) => withLimits(e.value));
  }

  get(name: string): PeerInfo {
    const p = this.peers.get(name);
    if (!p) throw new HavenError('PEER_NOT_FOUND', { name });
    return withLimits(p);
  }

  /** Stores changed settings of a peer (checked by the caller). */
  async put(info: PeerInfo): Promise<void> {
    this.get(info.name);
    await this.peers.put(info.name, info);
  }

  /** Validates and stores a peer and its token (0600). PEER_EXISTS for a name taken. */
  async add(req: AddPeerRequest): Promise<PeerInfo> {
    if (this.peers.doesExist(req.name)) throw new HavenError('PEER_EXISTS', { name: req.name });
    if (req.lagAlert !== undefined) parseDuration(req.lagAlert);
    const info = peerInfoOf(req, this.now());
    await mkdir(this.tokenDir, { recursive: true, mode: 0o700 });
    const file = this.tokenFile(req.name);
    await writeFile(file, `${req.token}\n`, { mode: 0o600 });
    await chmod(file, 0o600); // an existing file keeps its mode on writeFile
    await this.peers.put(req.name, info);
    return info;
  }

  async remove(name: string): Promise<void> {
    this.get(name);
    await this.peers.remove(name);
    await this.progressDb.remove(name);
    for (const key of this.pulled.getKeys({ start: [name], end: [name, '\uffff'] })) await this.pulled.remove(key);
    for (const { key, value } of this.owners.getRange()) if (value === name) await this.owners.remove(key);
    await rm(this.tokenFile(name), { force: true });
  }

  async token(name: string): Promise<string> {
    return (await readFile(this.tokenFile(name), 'utf8')).trim();
  }

  private tokenFile(name: string): string {
    return join(this.tokenDir, `${name}.token`);
  }

  progress(name: string): PeerProgress {
    return this.progressDb.get(name) ?? { ...EMPTY_PROGRESS };
  }

  async saveProgress(name: string, progress: PeerProgress): Promise<void> {
    await this.progressDb.put(name, progress);
  }

  pulledSnapshot(name: string, sourceId: string): PulledSnapshot | undefined {
    return this.pulled.get([name, sourceId]);
  }

  /** Every snapshot this peer brought: source id and local id. */
  pulledOf(name: string): Array<{ snapshot: string; local: string }> {
    return [...this.pulled.getRange({ start: [name], end: [name, '\uffff'] })].map((e) => ({ snapshot: e.key[1], local: e.value.local }));
  }

  async notePulled(name: string, sourceId: string, local: string): Promise<void> {
    await this.pulled.put([name, sourceId], { local, time: new Date(this.now()).toISOString() });
  }

  /** The peer that feeds a local group, if any. */
  ownerOf(localGroup: string): string | undefined {
    return this.owners.get(localGroup);
  }

  async claim(localGroup: string, name: string): Promise<void> {
    await this.owners.put(localGroup, name);
  }
}
