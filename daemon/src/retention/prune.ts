// Preview and prune (issue 13): the decisions of applyRetention over a group's snapshots, and
// a task that deletes what they remove. Prune deletes snapshots only (a tombstone each through
// the catalogue); it reclaims no space: that is garbage collection's job (daemon/src/gc/).
//
// Invariants, enforced here (not only in apply.ts):
// - only groups with a stored policy, or the one group an explicit policy names, are pruned;
//   a group without a policy is never touched;
// - a protected snapshot is never removed: apply.ts keeps it, the catalogue's delete refuses
//   it (SNAPSHOT_PROTECTED) if it was protected after the decision, and it is then skipped;
// - a snapshot with a hold on it (replication, drills: store-api.ts Holds) is skipped;
// - the group's newest unprotected snapshot is never removed: apply.ts guarantees it for a
//   valid policy; a decision that says otherwise fails the prune before anything is deleted;
// - prunes run one at a time (the scheduled one and one asked for over the API), so two runs
//   never decide over the same snapshots.

import { HavenError } from '../../../core/src/errors.js';
import type { GroupPrune, PreviewResponse, PruneRequest, PruneSummary, RetentionPolicy, SnapshotDecision } from '../../../core/src/api/retention.js';
import type { TaskInfo } from '../../../core/src/api/jobs.js';
import { applyRetention } from '../../../core/src/retention/apply.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { Catalog } from '../backup/catalog.js';
import type { TaskContext, TaskRegistry } from '../jobs/tasks.js';
import type { Holds } from '../store/store-api.js';
import type { PolicyStore } from './policy-store.js';

/** Snapshots deleted per commit. */
const DELETE_BATCH = 256;

export interface PruneDeps {
  catalog: Catalog;
  holds: Pick<Holds, 'on'>;
  policies: PolicyStore;
  tasks: TaskRegistry;
  /** The appliance's IANA time zone; calendar periods are local to it. */
  timeZone: string;
}

/** Who asked: an admin's name, or 'schedule'. */
export interface PruneOptions extends PruneRequest {
  by: string;
}

export class PruneService {
  /** The tail of the queue of prune runs: each waits for the one before. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PruneDeps) {}

  get timeZone(): string {
    return this.deps.timeZone;
  }

  /** Every snapshot of the group with keep/remove and why, under `policy` or the stored one. */
  preview(group: string, policy?: RetentionPolicy): PreviewResponse {
    const applied = policy ?? this.deps.policies.get(group)?.policy ?? null;
    return { group, policy: applied, timeZone: this.deps.timeZone, snapshots: this.decide(this.deps.catalog.snapshots(group), applied ?? {}) };
  }

  /**
   * Runs a prune as a task (kind `retention.prune`) and waits for it: the answer comes once
   * every deletion is committed. A failure is thrown with its typed error after the task
   * has recorded it.
   */
  async prune(options: PruneOptions): Promise<{ task: TaskInfo; summary: PruneSummary }> {
    if (options.policy !== undefined && options.group === undefined) {
      throw new HavenError('VALIDATION_FAILED', { detail: 'a policy in the request needs a group: it overrides that group\'s stored policy' });
    }
    const targets = this.targets(options);
    // Filled by the task body (a holder: TypeScript does not follow assignments in closures).
    const out: { summary?: PruneSummary; failure?: unknown } = {};
    const run = this.queue.then(() => this.deps.tasks.runAndWait(
      { kind: 'retention.prune', title: `${options.dryRun === true ? 'Prune preview' : 'Prune'} of ${options.group ?? 'every group with a policy'}`, subject: options.group ?? null },
      async (ctx) => {
        let summary: PruneSummary;
        try {
          summary = await this.run(ctx, targets, options);
        } catch (err) {
          out.failure = err;
          throw err;
        }
        out.summary = summary;
        const verb = summary.dryRun ? 'would remove' : 'removed';
        return `${verb} ${summary.removed} snapshot(s) in ${summary.groups.length} group(s)`;
      },
    ));
    this.queue = run.catch(() => undefined);
    const task = await run;
    if (out.failure !== undefined) throw out.failure;
    if (out.summary === undefined) throw new Error(`prune task ${task.id} ended ${task.status} without a summary`);
    return { task, summary: out.summary };
  }

  /** The groups and the policy each is pruned by; a group without one is never listed. */
  private targets(options: PruneRequest): Array<{ group: string; policy: RetentionPolicy }> {
    if (options.group !== undefined) {
      const policy = options.policy ?? this.deps.policies.require(options.group).policy;
      return [{ group: options.group, policy }];
    }
    return this.deps.policies.list().map((p) => ({ group: p.group, policy: p.policy }));
  }

  private async run(ctx: TaskContext, targets: Array<{ group: string; policy: RetentionPolicy }>, options: PruneOptions): Promise<PruneSummary> {
    const dryRun = options.dryRun === true;
    ctx.log(`${dryRun ? 'dry run: nothing is deleted; ' : ''}${targets.length} group(s), time zone ${this.deps.timeZone}, asked by ${options.by}`);
    const groups: GroupPrune[] = [];
    for (const [i, { group, policy }] of targets.entries()) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.progress(i / Math.max(1, targets.length), group);
      groups.push(await this.pruneGroup(ctx, group, policy, dryRun, options.by));
    }
    const removed = groups.reduce((n, g) => n + g.removed.length, 0);
    ctx.log(`${dryRun ? 'would remove' : 'removed'} ${removed} snapshot(s); their space comes back through garbage collection (two runs: one condemns, the next reclaims)`);
    return { dryRun, timeZone: this.deps.timeZone, groups, removed };
  }

  private async pruneGroup(ctx: TaskContext, group: string, policy: RetentionPolicy, dryRun: boolean, by: string): Promise<GroupPrune> {
    const snapshots = this.decide(this.deps.catalog.snapshots(group), policy);
    const doomed = snapshots.filter((d) => !d.keep);
    assertNewestKept(group, snapshots);
    const result: GroupPrune = { group, policy, snapshots, removed: [], skipped: [] };
    ctx.log(`${group}: ${snapshots.length} snapshot(s), ${doomed.length} to remove (policy ${JSON.stringify(policy)})`);
    for (let from = 0; from < doomed.length; from += DELETE_BATCH) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const batch: SnapshotDecision[] = [];
      for (const d of doomed.slice(from, from + DELETE_BATCH)) {
        const holds = this.deps.holds.on('snapshot', d.id);
        if (holds.length > 0) {
          result.skipped.push({ id: d.id, reason: `held by ${holds.map((h) => h.owner).join(', ')}` });
          ctx.log(`${group}: kept ${d.id}: held by ${holds.map((h) => h.owner).join(', ')}`, 'warn');
        } else batch.push(d);
      }
      if (dryRun) {
        result.removed.push(...batch.map((d) => d.id));
        continue;
      }
      // One commit per batch (a tombstone each): tens of thousands of snapshots, as continuous
      // protection leaves, were a commit and a disk sync each.
      const { refused } = await this.deps.catalog.deleteMany(batch.map((d) => d.id), `prune (${by})`);
      const refusedBy = new Map(refused.map((r) => [r.id, r.code]));
      for (const d of batch) {
        const code = refusedBy.get(d.id);
        if (code === undefined) {
          result.removed.push(d.id);
          ctx.log(`${group}: removed ${d.id} (${d.time})`);
        } else {
          // Protected or deleted by someone else since the decision: leave it, say so.
          result.skipped.push({ id: d.id, reason: code === 'SNAPSHOT_PROTECTED' ? 'protected since the decision' : 'already deleted' });
          ctx.log(`${group}: kept ${d.id}: ${code === 'SNAPSHOT_PROTECTED' ? 'protected since the decision' : 'deleted meanwhile'}`, 'warn');
        }
      }
    }
    return result;
  }

  private decide(snapshots: readonly SnapshotSummary[], policy: RetentionPolicy): SnapshotDecision[] {
    const byId = new Map(snapshots.map((s) => [s.id, s]));
    const decisions = applyRetention(
      snapshots.map((s) => ({ id: s.id, time: Date.parse(s.time), protected: s.protected === true })),
      policy,
      { timeZone: this.deps.timeZone },
    );
    return decisions.map((d) => {
      const s = byId.get(d.id) as SnapshotSummary;
      return { id: d.id, time: s.time, protected: s.protected === true, keep: d.keep, reasons: [...d.reasons] };
    });
  }
}

/**
 * The newest unprotected snapshot is always kept (apply.ts promises it for a valid policy;
 * asserted again because a prune cannot be undone). Decisions are newest first.
 */
export function assertNewestKept(group: string, decisions: readonly SnapshotDecision[]): void {
  const newest = decisions.find((d) => !d.protected);
  if (newest !== undefined && !newest.keep) {
    throw new HavenError('PRUNE_INVARIANT', { detail: `the policy would remove ${group}'s newest unprotected snapshot ${newest.id}` });
  }
  if (decisions.some((d) => d.protected && !d.keep)) {
    throw new HavenError('PRUNE_INVARIANT', { detail: `the policy would remove a protected snapshot of ${group}` });
  }
}
