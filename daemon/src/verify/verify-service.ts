// Verification runs as tasks (kind `store.verify`) and what follows from them: quarantine,
// the damaged-snapshot list, their alerts, the history of runs. verifier.ts reads and
// re-hashes; damage-scan.ts finds who reaches damage; this file decides when and records.
//
// - Runs follow each other, never overlap: a run asked for while one is in flight is a task at
//   once but starts its work when the one before it has ended (reads of one disk gain nothing
//   from running side by side, and the damage bookkeeping is simpler one at a time).
// - Each committed snapshot is queued; one `new-snapshots` run takes every snapshot queued by
//   the time it starts, so a burst of commits costs one run.
// - After every run the damage is settled: newly damaged objects are quarantined (with the
//   trees above them un-flagged); when a replication peer holds copies of a group that reaches
//   them (or a repair names a peer), they and any missing objects are fetched from it and
//   written anew (replication/peer-repair.ts); then the snapshots reaching any quarantined
//   object are the damaged list, each group with damaged snapshots has a critical alert
//   (`verify.damaged:<group>`), and a group healed since has it cleared.
// - A repair (`havend store repair --from-peer NAME`) is a full run (task kind `store.repair`)
//   that asks the named peer for everything quarantined or missing.

import type { TaskInfo } from '../../../core/src/api/jobs.js';
import type { RepairOutcome, RepairReport } from '../../../core/src/api/repair.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { DamagedSnapshot, VerifyRun, VerifyRunKind, VerifyStatus, VerifySummary } from '../../../core/src/api/verify.js';
import { HavenError } from '../../../core/src/errors.js';
import { toHex } from '../../../core/src/objects/digest.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';
import type { TaskContext, TaskRegistry } from '../jobs/tasks.js';
import type { BulkCheck, ObjectSource } from '../store/reachability.js';
import type { ObjectListing, Quarantine, SnapshotCatalog } from '../store/store-api.js';
import type { PeerRepair } from '../replication/peer-repair.js';
import { unlessStateFull } from '../state/state-db.js';
import { scanDamage, type DamageScan } from './damage-scan.js';
import { Tally, Verifier } from './verifier.js';
import type { VerifyRecords } from './verify-records.js';

export const VERIFY_TASK_KIND = 'store.verify';
export const REPAIR_TASK_KIND = 'store.repair';
const ALERT_PREFIX = 'verify.damaged:';
const REPAIR_ALERT_PREFIX = 'store.repair:';
const DAY_MS = 86_400_000;

export interface VerifyServiceDeps {
  onDisk: ObjectSource & BulkCheck;
  /** Ordinary reads (trees may come from memory): the damage scan's walk. */
  objects: ObjectSource;
  catalog: Pick<SnapshotCatalog, 'get' | 'ids' | 'list'>;
  listing: ObjectListing;
  quarantine: Quarantine;
  records: VerifyRecords;
  tasks: Pick<TaskRegistry, 'run' | 'get' | 'isRunning'>;
  alerts: Pick<AlertCenter, 'raise' | 'clear' | 'list'>;
  bus: EventBus;
  config: { cron: string; rotationNights: number; maxAgeDays: number };
  now: () => number;
  /** Repairs from replication peers (absent: damage waits for the next backup to heal it). */
  repair?: Pick<PeerRepair, 'peer' | 'peerFor' | 'repair'>;
  /**
   * Task kinds whose commits come in bursts (a replication pull): while one runs, new snapshots
   * wait and are verified together once it ends (at most `maxDeferMs` after the first of them),
   * so the re-read does not compete with the pull for the disk and the cores.
   */
  deferDuring?: readonly string[];
  maxDeferMs?: number;
}

/** How long new snapshots may wait for a pull to end before they are verified anyway. */
const MAX_DEFER_MS = 10 * 60_000;

interface Flight {
  kind: VerifyRunKind;
  group: string | null;
  by: string;
  summary: VerifySummary | null;
  /** A new-snapshots run has taken the queued snapshots. */
  took: boolean;
  /** The peer a repair asks for everything quarantined or missing (null: verification's own repairs). */
  repairFrom: string | null;
  repairs: RepairOutcome[];
}

export class VerifyService {
  private readonly verifier: Verifier;
  /** Snapshots committed and not yet taken by a new-snapshots run. */
  private readonly pending = new Set<string>();
  /** A new-snapshots run is queued and has not taken the pending ones yet. */
  private newQueued = false;
  /** The end of the last run asked for: the next one starts after it. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly flights = new Map<string, Flight>();
  private runningTask: string | null = null;
  /** Set while new snapshots wait for a pull to end (deferDuring); fires at the latest bound. */
  private deferTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: VerifyServiceDeps) {
    this.verifier = new Verifier({ onDisk: deps.onDisk, listing: deps.listing, quarantine: deps.quarantine, records: deps.records, now: deps.now });
  }

  /** Closes runs a killed daemon left open, then follows commits and the end of runs. */
  start(): void {
    unlessStateFull(() => {
      for (const run of this.deps.records.openRuns()) this.deps.records.finish(closedAfterKill(run, this.taskOrNull(run.task)));
    });
    this.deps.bus.on(this, 'task.ended', (t) => {
      this.ended(t);
      if (this.deferTimer !== null && this.deps.deferDuring?.includes(t.kind) && !this.deferring()) this.verifyPending();
    });
    this.deps.bus.on(this, 'snapshot.committed', (s) => {
      this.pending.add(s.id);
      if (this.newQueued || this.deferTimer !== null) return;
      if (this.deferring()) {
        this.deferTimer = setTimeout(() => this.verifyPending(), this.deps.maxDeferMs ?? MAX_DEFER_MS);
        this.deferTimer.unref();
        return;
      }
      this.verifyPending();
    });
  }

  stop(): void {
    this.deps.bus.removeListeners(this);
    if (this.deferTimer !== null) clearTimeout(this.deferTimer);
    this.deferTimer = null;
  }

  private deferring(): boolean {
    return (this.deps.deferDuring ?? []).some((kind) => this.deps.tasks.isRunning(kind));
  }

  /** Queues a new-snapshots run for what is pending (one is enough: it takes them all). */
  private verifyPending(): void {
    if (this.deferTimer !== null) clearTimeout(this.deferTimer);
    this.deferTimer = null;
    if (this.newQueued || this.pending.size === 0) return;
    try {
      this.begin('new-snapshots', 'commit', null);
    } catch {
      this.newQueued = false; // the daemon is stopping: the nightly rotation covers what is left
    }
  }

  get running(): boolean {
    return this.runningTask !== null;
  }

  /** Starts a run as a task; it waits for the runs asked for before it. */
  begin(kind: VerifyRunKind, by: string, group: string | null, repairFrom: string | null = null): TaskInfo {
    if (kind === 'new-snapshots') this.newQueued = true;
    const before = this.tail;
    let flight: Flight | null = null;
    const title = repairFrom !== null ? `Repair from ${repairFrom}`
      : kind === 'full' ? (group === null ? 'Verification of every snapshot' : `Verification of ${group}`)
      : kind === 'rotation' ? 'Nightly verification' : 'Verification of new snapshots';
    const taskKind = repairFrom !== null ? REPAIR_TASK_KIND : VERIFY_TASK_KIND;
    const task = this.deps.tasks.run({ kind: taskKind, title, subject: repairFrom ?? group }, async (ctx) => {
      await before.catch(() => undefined);
      const f = flight as Flight;
      this.runningTask = ctx.id;
      ctx.log(`asked by ${by}`);
      const tally = new Tally(this.deps.now());
      await this.work(f, tally, ctx);
      await this.settleDamage(tally, ctx, f);
      await this.nameMediaErrors(tally, ctx);
      f.summary = tally.summary(this.deps.now());
      const line = summaryLine(f.summary) + repairLine(f.repairs);
      if (tally.problems.length > 0) throw new Error(`${line}; ${tally.problems.length} problem(s), first: ${tally.problems[0]}`);
      return line;
    });
    flight = { kind, group, by, summary: null, took: false, repairFrom, repairs: [] };
    this.flights.set(task.id, flight);
    const owner = {};
    this.tail = new Promise<void>((resolve) => {
      this.deps.bus.on(owner, 'task.ended', (t) => {
        if (t.id === task.id) resolve();
      });
    }).finally(() => this.deps.bus.removeListeners(owner));
    this.deps.records.begin({ task: task.id, kind, group, started: task.started, by });
    return task;
  }

  private async work(f: Flight, tally: Tally, ctx: TaskContext): Promise<void> {
    const { catalog, config } = this.deps;
    if (f.kind === 'new-snapshots') {
      this.newQueued = false;
      f.took = true;
      const ids = [...this.pending];
      this.pending.clear();
      const snapshots = ids.map((id) => catalog.get(id)).filter((s): s is SnapshotSummary => s !== undefined);
      ctx.log(`${snapshots.length} new snapshot(s): every object no earlier verification covered`);
      await this.verifier.walkSnapshots(snapshots, true, tally, ctx);
    } else if (f.kind === 'full') {
      const snapshots = f.group === null ? this.allSnapshots() : catalog.list(f.group);
      ctx.log(`${snapshots.length} snapshot(s): every object they reach, read again`);
      await this.verifier.walkSnapshots(snapshots, false, tally, ctx);
    } else {
      await this.verifier.rotate(config.rotationNights, config.maxAgeDays * DAY_MS, tally, ctx);
    }
  }

  private allSnapshots(): SnapshotSummary[] {
    return this.deps.catalog.ids().map((id) => this.deps.catalog.get(id)).filter((s): s is SnapshotSummary => s !== undefined);
  }

  /**
   * Names each object the device could not read (where it lies, and the snapshots that reach
   * it) as a problem of the run: a media error fails the run and is logged, but quarantines
   * nothing, since a read error proves nothing about the record (the disk's own report and a
   * scrub tell whether the sector is lost; the next run reads it again).
   */
  private async nameMediaErrors(tally: Tally, ctx: TaskContext): Promise<void> {
    if (tally.unreadable.size === 0) return;
    const scan = await scanDamage(this.deps.objects, this.allSnapshots(), new Set(tally.unreadable.keys()), ctx.signal);
    for (const [hex, { detail }] of tally.unreadable) {
      const reaching = scan.snapshots.filter((s) => s.digests.includes(hex)).map((s) => `${s.snapshot.id} (${s.snapshot.group})`);
      const line = `media error, nothing quarantined: ${detail}: object ${hex}, reached by ${reaching.length === 0 ? 'no snapshot' : `snapshot(s) ${reaching.join(', ')}`}`;
      ctx.log(line, 'error');
      tally.problem(line);
    }
  }

  /** Quarantines what the run found, names the snapshots that reach damage, raises or clears alerts. */
  private async settleDamage(tally: Tally, ctx: TaskContext, f: Flight): Promise<void> {
    const { quarantine, records } = this.deps;
    const found = [...tally.damaged.values()];
    const listed = quarantine.list();
    const damaged = new Set([...listed.map((q) => q.digest), ...tally.damaged.keys()]);
    const before = records.damagedSnapshots();
    if (damaged.size === 0 && before.length === 0 && tally.missing.size === 0) {
      this.updateAlerts([]);
      return;
    }
    // Missing objects are looked for as damage is: the snapshots that reach them name the peer to ask.
    let scan = await scanDamage(this.deps.objects, this.allSnapshots(), new Set([...damaged, ...tally.missing.keys()]), ctx.signal);
    for (const d of found) {
      await quarantine.mark(d.digest, d.reason);
      ctx.log(`quarantined ${toHex(d.digest)}: ${d.reason}`, 'error');
    }
    // The trees above damage lose their "complete" flag at every settle, not only when it is
    // new: a commit whose walk passed an object just before it was quarantined may have
    // flagged them again, and a flagged tree would let the next commit skip the damage.
    const first = found[0] ?? listed.map((q) => ({ digest: Buffer.from(q.digest, 'hex'), reason: q.reason }))[0];
    if (first && scan.above.length > 0) await quarantine.mark(first.digest, first.reason, scan.above);
    records.forget([...scan.above, ...found.map((d) => d.digest)]);
    const repaired = await this.repairFromPeers(f, scan, tally, ctx);
    if (repaired || tally.missing.size > 0) {
      scan = await scanDamage(this.deps.objects, this.allSnapshots(), new Set(quarantine.list().map((q) => q.digest)), ctx.signal);
    }
    const known = new Map(before.map((d) => [d.id, d]));
    const at = new Date(this.deps.now()).toISOString();
    const list: DamagedSnapshot[] = scan.snapshots.map(({ snapshot, digests }) => ({
      id: snapshot.id, group: snapshot.group, time: snapshot.time, digests, found: known.get(snapshot.id)?.found ?? at,
    }));
    records.setDamaged(list);
    const now = new Set(list.map((d) => d.id));
    for (const d of before) if (!now.has(d.id)) ctx.log(`snapshot ${d.id} (${d.group}) is whole again: its damaged data was written anew`);
    for (const d of list) if (!known.has(d.id)) ctx.log(`snapshot ${d.id} (${d.group}) reaches damaged data: ${d.digests.join(', ')}`, 'error');
    this.updateAlerts(list);
  }

  /**
   * Asks peers for good copies: a repair its peer for everything quarantined or missing;
   * verification on its own the peer holding copies of a group that reaches what this run
   * found. True when something was written anew.
   */
  private async repairFromPeers(f: Flight, scan: DamageScan, tally: Tally, ctx: TaskContext): Promise<boolean> {
    const repairer = this.deps.repair;
    if (!repairer) return false;
    const wanted = new Map<string, Buffer>();
    if (f.repairFrom !== null) for (const q of this.deps.quarantine.list()) wanted.set(q.digest, Buffer.from(q.digest, 'hex'));
    for (const [hex, d] of tally.damaged) wanted.set(hex, d.digest);
    for (const [hex, d] of tally.missing) wanted.set(hex, d);
    const near = scan.snapshots.map((s) => s.snapshot);
    const byPeer = new Map<string, Buffer[]>();
    if (f.repairFrom !== null) byPeer.set(f.repairFrom, [...wanted.values()]);
    else {
      for (const [hex, digest] of wanted) {
        const groups = scan.snapshots.filter((s) => s.digests.includes(hex)).map((s) => s.snapshot.group);
        const peer = groups.map((g) => repairer.peerFor(g)).find((p) => p !== null);
        if (peer) byPeer.set(peer, [...(byPeer.get(peer) ?? []), digest]);
      }
    }
    let repaired = false;
    for (const [peer, digests] of byPeer) {
      if (digests.length === 0) continue;
      const outcome = await repairer.repair(peer, digests, near, (m, level) => ctx.log(m, level));
      f.repairs.push(outcome);
      repaired ||= outcome.repaired.length > 0;
      this.deps.bus.emit('store.repaired', outcome);
      this.repairAlert(outcome);
    }
    return repaired;
  }

  /** Damage repaired from a peer is still news (a disk returned bad data); damage it could not repair is critical. */
  private repairAlert(o: RepairOutcome): void {
    const failed = o.unavailable.length > 0;
    this.deps.alerts.raise(`${REPAIR_ALERT_PREFIX}${o.peer}`, {
      severity: failed ? 'critical' : 'warning',
      subject: failed ? `Repair from ${o.peer} incomplete` : `Repaired from ${o.peer}`,
      message: failed
        ? `${o.unavailable.length} damaged or missing object(s) could not be repaired from peer ${o.peer} (first: ${o.unavailable[0]?.digest}: ${o.unavailable[0]?.reason})`
          + `${o.repaired.length > 0 ? `; ${o.repaired.length} were` : ''}. They stay quarantined: the next backup of the same data heals them.`
        : `${o.repaired.length} damaged or missing object(s) were fetched from peer ${o.peer}, verified and written anew. Data went bad or missing on this appliance: check its disks.`,
      evidence: { repaired: o.repaired.length, unavailable: o.unavailable.length },
    });
  }

  /** A full run that repairs from `peer` everything quarantined or missing; answers when it has ended. */
  async repair(peer: string, by: string): Promise<RepairReport> {
    // Without replication there is no peer of that name (PEER_NOT_FOUND either way).
    if (!this.deps.repair) throw new HavenError('PEER_NOT_FOUND', { name: peer });
    this.deps.repair.peer(peer);
    const owner = {};
    let ended!: (t: TaskInfo) => void;
    const end = new Promise<TaskInfo>((resolve) => {
      ended = resolve;
    });
    let id = '';
    this.deps.bus.on(owner, 'task.ended', (t) => {
      if (t.id === id) ended(t);
    });
    try {
      const task = this.begin('full', by, null, peer);
      id = task.id;
      const flight = this.flights.get(id) as Flight;
      const done = await end;
      const outcome = flight.repairs;
      const status = done.status === 'running' ? 'interrupted' : done.status;
      const missing = outcome.flatMap((o) => o.unavailable.map((u) => u.digest));
      return {
        peer, task: id, status, checked: flight.summary,
        repaired: outcome.flatMap((o) => o.repaired), unavailable: outcome.flatMap((o) => o.unavailable),
        stillDamaged: [...new Set([...this.deps.quarantine.list().map((q) => q.digest), ...missing])],
        damagedSnapshots: this.deps.records.damagedSnapshots(),
        error: status === 'succeeded' ? null : (done.result ?? status),
      };
    } finally {
      this.deps.bus.removeListeners(owner);
    }
  }

  private updateAlerts(list: readonly DamagedSnapshot[]): void {
    const byGroup = new Map<string, DamagedSnapshot[]>();
    for (const d of list) byGroup.set(d.group, [...(byGroup.get(d.group) ?? []), d]);
    for (const [group, snaps] of byGroup) {
      const named = snaps.slice(0, 5).map((s) => `${s.id.slice(0, 12)} (${s.time})`).join(', ');
      this.deps.alerts.raise(`${ALERT_PREFIX}${group}`, {
        severity: 'critical',
        subject: `Damaged backups of ${group}`,
        message: `${snaps.length} snapshot(s) of ${group} reach data that failed verification: ${named}${snaps.length > 5 ? ', ...' : ''}. `
          + 'The damaged objects are quarantined; the next backup of the same data uploads them anew and heals these snapshots.',
        evidence: { snapshots: snaps.length },
        group,
      });
    }
    for (const a of this.deps.alerts.list()) {
      if (a.key.startsWith(ALERT_PREFIX) && !byGroup.has(a.key.slice(ALERT_PREFIX.length))) this.deps.alerts.clear(a.key);
    }
  }

  status(): VerifyStatus {
    const { quarantine, records, listing, config } = this.deps;
    const quarantined = quarantine.list();
    return {
      running: this.runningTask === null ? null : this.taskOrNull(this.runningTask),
      schedule: config.cron,
      rotationNights: config.rotationNights,
      damagedSnapshots: records.damagedSnapshots(),
      quarantined: quarantined.slice(0, 100),
      quarantinedCount: quarantined.length,
      verifiedObjects: records.verifiedCount(),
      indexedObjects: listing.count(),
      history: records.history(),
    };
  }

  private ended(t: TaskInfo): void {
    const f = this.flights.get(t.id);
    if (!f) return;
    this.flights.delete(t.id);
    // Cancelled before it took the queue: the next commit must queue a run again.
    if (f.kind === 'new-snapshots' && !f.took) this.newQueued = false;
    if (this.runningTask === t.id) this.runningTask = null;
    const status = t.status === 'running' ? 'interrupted' : t.status;
    this.deps.records.finish({
      task: t.id, kind: f.kind, group: f.group, started: t.started, ended: t.ended ?? new Date(this.deps.now()).toISOString(),
      status, by: f.by, summary: f.summary, error: status === 'succeeded' ? null : (t.result ?? status),
    });
  }

  private taskOrNull(id: string): TaskInfo | null {
    try {
      return this.deps.tasks.get(id);
    } catch {
      return null;
    }
  }
}

function summaryLine(s: VerifySummary): string {
  return `${s.snapshots} snapshot(s), ${s.objects} object(s) read again (${(s.bytes / 1e6).toFixed(1)} MB), ${s.covered} covered before, `
    + `${s.damagedObjects} damaged`;
}

function repairLine(repairs: readonly RepairOutcome[]): string {
  return repairs.map((o) => `; from ${o.peer}: ${o.repaired.length} repaired, ${o.unavailable.length} not available`).join('');
}

function closedAfterKill(run: VerifyRun, task: TaskInfo | null): VerifyRun {
  if (task === null || task.status === 'running') return run;
  return { ...run, status: task.status, ended: task.ended ?? run.ended, error: task.status === 'succeeded' ? null : (task.result ?? run.error) };
}
