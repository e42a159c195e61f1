// Deletions on the source, as the offsite treats them (ransomware safety, DESIGN section 4).
// By default they are logged and never propagated. With `propagateDeletesAfter`, a snapshot
// deleted on the source is kept on the offsite as a pending deletion and deleted only once
// the delay has passed, so an attacker who deletes the source's backups does not reach the
// offsite copy before someone notices. The brake: when more than `deleteBrake` percent of a
// group's (or of the whole peer's) replicated snapshots vanish at once (one page of the
// change feed, or one full pull's listing), propagation pauses, nothing is deleted, and an
// alert is raised until the admin resumes it. A protected snapshot is never deleted here.
//
// State (the daemon's state db): `peer-pending-deletes` ([peer, source id] -> pending) and
// `peer-deletes-paused` (peer -> since, reason).

import type { Database } from 'lmdb';
import type { Logger } from 'pino';
import type { DeletesPaused, PeerInfo, PendingDeletion } from '../../../core/src/api/replication.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import type { Catalog } from '../backup/catalog.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { StateDb } from '../state/state-db.js';
import type { SnapshotCatalog } from '../store/store-api.js';
import type { PeerStore } from './peer-store.js';

/** The brake when propagation is on and no share was given (percent). */
export const DEFAULT_DELETE_BRAKE = 10;

export const brakeAlertKey = (peer: string): string => `replication.brake:${peer}`;

/** A snapshot the source no longer has, by its source id and group. */
export interface Vanished {
  snapshot: string;
  group: string;
}

export class DeletionStore {
  private readonly pendingDb: Database<PendingDeletion, [string, string]>;
  private readonly pausedDb: Database<DeletesPaused, string>;

  constructor(state: StateDb) {
    this.pendingDb = state.db<PendingDeletion, [string, string]>('peer-pending-deletes');
    this.pausedDb = state.db<DeletesPaused>('peer-deletes-paused');
  }

  pending(peer: string): PendingDeletion[] {
    return [...this.pendingDb.getRange({ start: [peer], end: [peer, '\uffff'] })].map((e) => e.value);
  }

  isPending(peer: string, snapshot: string): boolean {
    return this.pendingDb.doesExist([peer, snapshot]);
  }

  async add(peer: string, p: PendingDeletion): Promise<void> {
    await this.pendingDb.put([peer, p.snapshot], p);
  }

  async drop(peer: string, snapshot: string): Promise<void> {
    await this.pendingDb.remove([peer, snapshot]);
  }

  paused(peer: string): DeletesPaused | null {
    return this.pausedDb.get(peer) ?? null;
  }

  async pause(peer: string, p: DeletesPaused): Promise<void> {
    await this.pausedDb.put(peer, p);
  }

  async resume(peer: string): Promise<void> {
    await this.pausedDb.remove(peer);
  }

  /** Everything of a removed peer. */
  async forget(peer: string): Promise<void> {
    for (const p of this.pending(peer)) await this.drop(peer, p.snapshot);
    await this.resume(peer);
  }
}

export interface PropagationDeps {
  peer: () => PeerInfo;
  store: DeletionStore;
  peers: Pick<PeerStore, 'pulledSnapshot' | 'pulledOf'>;
  catalog: Pick<Catalog, 'delete' | 'protect' | 'unprotect'>;
  localCatalog: Pick<SnapshotCatalog, 'get'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear'>;
  now: () => number;
  log: Logger;
}

type Log = (message: string, level?: 'info' | 'warn' | 'error') => void;

/**
 * The brake's verdict on deletions seen at once: null when they may go on, else why not. Only
 * groups are weighed: the peer's whole share is an average of its groups' shares, so it can
 * pass the brake only when some group does.
 */
export function brakeTrips(vanished: ReadonlyMap<string, number>, replicated: ReadonlyMap<string, number>, percent: number): string | null {
  for (const [group, n] of replicated) {
    const gone = vanished.get(group) ?? 0;
    if (gone * 100 > n * percent) return `${gone} of ${n} replicated snapshot(s) of group ${group} vanished at once (brake ${percent}%)`;
  }
  return null;
}

export class DeletionPropagation {
  constructor(private readonly deps: PropagationDeps) {}

  private get name(): string {
    return this.deps.peer().name;
  }

  pending(): PendingDeletion[] {
    return this.deps.store.pending(this.name);
  }

  paused(): DeletesPaused | null {
    return this.deps.store.paused(this.name);
  }

  /** The local copy of a source snapshot this peer brought, if the offsite still has it. */
  private localOf(snapshot: string): { id: string; group: string; protected: boolean } | null {
    const pulled = this.deps.peers.pulledSnapshot(this.name, snapshot);
    const local = pulled ? this.deps.localCatalog.get(pulled.local) : undefined;
    return local ? { id: local.id, group: local.group, protected: local.protected === true } : null;
  }

  /**
   * Snapshots of `listed` groups this peer brought and the offsite still has, absent from a
   * full listing of the source (`present`: source ids): deleted on the source meanwhile.
   */
  vanishedFrom(present: ReadonlySet<string>, listed: ReadonlySet<string>, localGroup: (g: string) => string): Vanished[] {
    const locals = new Map([...listed].map((g) => [localGroup(g), g]));
    const out: Vanished[] = [];
    for (const { snapshot, local } of this.deps.peers.pulledOf(this.name)) {
      if (present.has(snapshot)) continue;
      const here = this.deps.localCatalog.get(local);
      const group = here ? locals.get(here.group) : undefined;
      if (group !== undefined) out.push({ snapshot, group });
    }
    return out;
  }

  /** Deletions on the source seen at once (a feed page, a full pull's listing). */
  async sourceDeleted(vanished: readonly Vanished[], log: Log): Promise<void> {
    const peer = this.deps.peer();
    const fresh: Array<Vanished & { local: { id: string; group: string } }> = [];
    for (const v of vanished) {
      const local = this.deps.store.isPending(peer.name, v.snapshot) ? null : this.localOf(v.snapshot);
      if (local) fresh.push({ ...v, local });
    }
    if (fresh.length === 0) return;
    if (peer.propagateDeletesAfter === null) {
      for (const v of fresh) log(`snapshot ${v.snapshot.slice(0, 12)} of ${v.group} was deleted on the source; not propagated`);
      return;
    }
    const delay = parseDuration(peer.propagateDeletesAfter);
    const now = this.deps.now();
    const byGroup = new Map<string, number>();
    for (const v of fresh) byGroup.set(v.local.group, (byGroup.get(v.local.group) ?? 0) + 1);
    // weighed against what was replicated before this batch is recorded as pending
    const why = brakeTrips(byGroup, this.replicatedByGroup(), peer.deleteBrake ?? DEFAULT_DELETE_BRAKE);
    for (const v of fresh) {
      await this.deps.store.add(peer.name, {
        snapshot: v.snapshot, local: v.local.id, group: v.local.group,
        seen: new Date(now).toISOString(), due: new Date(now + delay).toISOString(),
      });
      log(`snapshot ${v.snapshot.slice(0, 12)} of ${v.group} was deleted on the source; its copy is deleted after ${peer.propagateDeletesAfter}`);
    }
    if (why !== null) await this.trip(why, log);
  }

  /** The snapshots this peer brought that the offsite still has and keeps (not pending), per local group. */
  private replicatedByGroup(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { snapshot, local } of this.deps.peers.pulledOf(this.name)) {
      if (this.deps.store.isPending(this.name, snapshot)) continue;
      const here = this.deps.localCatalog.get(local);
      if (here) out.set(here.group, (out.get(here.group) ?? 0) + 1);
    }
    return out;
  }

  private async trip(reason: string, log: Log): Promise<void> {
    const name = this.name;
    const already = this.deps.store.paused(name);
    const paused = already ?? { since: new Date(this.deps.now()).toISOString(), reason };
    if (!already) await this.deps.store.pause(name, paused);
    log(`deletion propagation paused: ${reason}; nothing is deleted until an admin resumes it (havend peer resume-deletes ${name})`, 'error');
    this.deps.alerts.raise(brakeAlertKey(name), {
      severity: 'critical',
      subject: `replication from ${name}`,
      message: `Deletions on ${name} paused: ${reason}. Nothing is deleted on this appliance; check the source, then resume (havend peer resume-deletes ${name}) or drop the pending deletions (--drop-pending).`,
      evidence: { pending: this.pending().length },
    });
  }

  /** The admin lifts the brake: pending deletions go on when due, or are forgotten (their snapshots stay). */
  async resume(dropPending: boolean): Promise<void> {
    const name = this.name;
    if (dropPending) for (const p of this.pending()) await this.deps.store.drop(name, p.snapshot);
    await this.deps.store.resume(name);
    this.deps.alerts.clear(brakeAlertKey(name));
  }

  /** Deletes the copies whose delay has passed (unless paused); a protected copy is kept and its entry dropped. */
  async applyDue(): Promise<void> {
    const peer = this.deps.peer();
    const log = this.deps.log.child({ peer: peer.name });
    if (peer.propagateDeletesAfter === null) {
      // Propagation turned off: what was pending stays on the offsite.
      for (const p of this.pending()) await this.deps.store.drop(peer.name, p.snapshot);
      return;
    }
    if (this.paused()) return;
    const now = this.deps.now();
    for (const p of this.pending()) {
      if (Date.parse(p.due) > now) continue;
      const local = this.deps.localCatalog.get(p.local);
      if (local?.protected) {
        log.warn({ snapshot: p.local }, 'replication: a snapshot deleted on the source is protected here; kept');
      } else if (local) {
        await this.deps.catalog.delete(p.local, `replication:${peer.name}`);
        log.info({ snapshot: p.local, source: p.snapshot }, 'replication: deleted, as on the source after the delay');
      }
      await this.deps.store.drop(peer.name, p.snapshot);
    }
  }

  /** The source changed a snapshot's protected flag: the copy follows. */
  async protection(snapshot: string, isProtected: boolean, log: Log): Promise<void> {
    const local = this.localOf(snapshot);
    if (!local || local.protected === isProtected) return;
    const by = `replication:${this.name}`;
    if (isProtected) await this.deps.catalog.protect(local.id, by);
    else await this.deps.catalog.unprotect(local.id, by);
    log(`snapshot ${snapshot.slice(0, 12)} ${isProtected ? 'protected' : 'unprotected'} on the source: so is its copy`);
  }
}
