// The RPO watch (issue 15): evaluates every plan entry (rpo-state.ts) against the newest
// committed snapshot of its group and keeps the alerts in step: LATE raises `rpo.late:<group>`
// (warning), BREACH raises `rpo.breach:<group>` (critical), and any other state clears both,
// so a backup that arrives resolves them by itself. The alert messages hold no running age,
// so re-evaluating every minute updates nothing until something really changed.

import type { OffsiteState, PlanEntry, PlanEntryStatus, PlanList, RpoState, RtoMeasured } from '../../../core/src/api/plan.js';
import type { PoolStatus } from '../../../core/src/api/pool.js';
import type { RetentionPolicy } from '../../../core/src/api/retention.js';
import type { GroupSummary, SnapshotSummary } from '../../../core/src/api/snapshots.js';
import { parseDuration } from '../../../core/src/time/duration.js';
import type { EventBus } from '../events.js';
import type { AlertCenter } from '../jobs/alerts.js';
import { evaluateRpo } from './rpo-state.js';
import type { PlanStore } from './plan-store.js';
import { OFFSITE_UNKNOWN } from './offsite-state.js';
import { threeTwoOne } from './three-two-one.js';

export const RPO_ALERT_KINDS = { LATE: 'rpo.late', BREACH: 'rpo.breach' } as const;

const NOT_MEASURED = {
  rto: { configured: false as const, reason: 'not measured: no recovery drill of this group has measured a restore yet (havend drill GROUP)' },
};

export interface RpoWatchDeps {
  plans: PlanStore;
  catalog: { latest(group: string): SnapshotSummary | null; snapshots(group: string): SnapshotSummary[]; groups(): GroupSummary[] };
  /** Snapshots verification found damaged: they do not count as the group's newest backup. */
  damaged?: (snapshotId: string) => boolean;
  /** The latest drill's RTO estimate of a group, null when none was measured. */
  rtoEstimate?: (group: string) => RtoMeasured | null;
  retention: (group: string) => RetentionPolicy | null;
  /** The offsite copy's state (offsite-state.ts); unknown when absent. */
  offsite?: (entry: PlanEntry) => OffsiteState;
  /** The pool's last known status, for the 3-2-1 tile's media light. */
  pool?: () => PoolStatus | null;
  alerts: Pick<AlertCenter, 'raise' | 'clear' | 'list'>;
  bus: EventBus;
  now: () => number;
  timeZone: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class RpoWatch {
  /** The state each group was last seen in, so `plan.changed` fires on changes only. */
  private readonly seen = new Map<string, RpoState>();

  constructor(private readonly deps: RpoWatchDeps) {}

  status(entry: PlanEntry): PlanEntryStatus {
    const now = this.deps.now();
    const newest = this.newestWhole(entry.group);
    const newestMs = newest ? Date.parse(newest.time) : null;
    const v = evaluateRpo({ entry, newestSnapshot: newestMs, now, timeZone: this.deps.timeZone });
    const offsite = this.deps.offsite?.(entry) ?? OFFSITE_UNKNOWN;
    return {
      group: entry.group, state: v.state, reason: v.reason, entry,
      newestSnapshot: newest?.time ?? null, breachAt: iso(v.breachAt), nextDue: iso(v.nextDue),
      retention: this.deps.retention(entry.group),
      rtoEstimate: this.deps.rtoEstimate?.(entry.group) ?? NOT_MEASURED.rto,
      offsite, threeTwoOne: threeTwoOne({ backedUpHere: newest !== null, offsite, pool: this.deps.pool?.() ?? null }),
      evaluated: new Date(now).toISOString(),
    };
  }

  /** The newest snapshot that did not fail verification (a damaged one restores nothing whole). */
  private newestWhole(group: string): SnapshotSummary | null {
    const latest = this.deps.catalog.latest(group);
    const damaged = this.deps.damaged;
    if (latest === null || damaged === undefined || !damaged(latest.id)) return latest;
    return this.deps.catalog.snapshots(group).reverse().find((s) => !damaged(s.id)) ?? null;
  }

  /** Every entry with its state, and the groups that back up without one. */
  list(): PlanList {
    const entries = this.deps.plans.list().map((e) => this.status(e));
    const planned = new Set(entries.map((e) => e.group));
    const unplanned = this.deps.catalog.groups().filter((g) => !planned.has(g.name) && g.snapshots > 0)
      .map((g) => ({ group: g.name, snapshots: g.snapshots, newestSnapshot: g.latest?.time ?? null }));
    return { entries, unplanned };
  }

  stateOf(group: string): RpoState | null {
    const entry = this.deps.plans.get(group);
    return entry ? this.status(entry).state : null;
  }

  /** Evaluates every entry, raises and clears alerts; alerts of groups without an entry are cleared. */
  check(): PlanEntryStatus[] {
    const statuses = this.deps.plans.list().map((e) => this.status(e));
    for (const s of statuses) this.apply(s);
    const planned = new Set(statuses.map((s) => s.group));
    for (const a of this.deps.alerts.list()) {
      const group = rpoAlertGroup(a.key);
      if (group !== null && !planned.has(group)) this.forget(group);
    }
    return statuses;
  }

  /** The entry is gone: its alerts resolve. */
  forget(group: string): void {
    this.deps.alerts.clear(`${RPO_ALERT_KINDS.LATE}:${group}`);
    this.deps.alerts.clear(`${RPO_ALERT_KINDS.BREACH}:${group}`);
    if (this.seen.delete(group)) this.deps.bus.emit('plan.changed', { group, state: null });
  }

  private apply(s: PlanEntryStatus): void {
    const { group, entry } = s;
    const late = `${RPO_ALERT_KINDS.LATE}:${group}`;
    const breach = `${RPO_ALERT_KINDS.BREACH}:${group}`;
    if (s.state === 'BREACH') {
      this.deps.alerts.clear(late);
      this.deps.alerts.raise(breach, {
        severity: 'critical', group, subject: `group ${group}`,
        message: s.newestSnapshot === null
          ? `${group} has had no backup since it was added to the protection plan (${entry.created}), past its RPO of ${entry.rpo}. Enrol the client (havend plan enroll ${group}) and check that its backups run.`
          : `The newest backup of ${group} (${s.newestSnapshot}) is older than its RPO of ${entry.rpo}. Check the client's schedule and its last run.`,
        evidence: { rpoSeconds: parseDuration(entry.rpo) / 1000 },
      });
    } else if (s.state === 'LATE') {
      this.deps.alerts.clear(breach);
      this.deps.alerts.raise(late, {
        severity: 'warning', group, subject: `group ${group}`,
        message: `A backup of ${group} was due at ${s.nextDue as string} (schedule ${entry.schedule as string}) and none arrived within the grace of ${entry.grace}. Check the client.`,
      });
    } else {
      this.deps.alerts.clear(late);
      this.deps.alerts.clear(breach);
    }
    if (this.seen.get(group) !== s.state) {
      this.seen.set(group, s.state);
      this.deps.bus.emit('plan.changed', { group, state: s.state });
    }
  }
}

/** The group an `rpo.*` alert key names, else null. */
export function rpoAlertGroup(key: string): string | null {
  const m = /^rpo\.(?:late|breach):(.+)$/.exec(key);
  return m ? (m[1] as string) : null;
}
