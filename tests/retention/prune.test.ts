// The prune task over a real datastore and state db (issue 13): calendar rules with real
// spacing (commit times set here, time zone pinned), holds and protection respected, the
// newest unprotected snapshot asserted, and the scheduled prune (`retention.pruneCron`)
// pruning every group with a policy as a task.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { HavenError } from '../../core/src/errors.js';
import { retentionArea } from '../../daemon/src/areas/retention.js';
import { Catalog } from '../../daemon/src/backup/catalog.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { EventBus } from '../../daemon/src/events.js';
import { Scheduler } from '../../daemon/src/jobs/scheduler.js';
import { TaskRegistry } from '../../daemon/src/jobs/tasks.js';
import { PolicyStore } from '../../daemon/src/retention/policy-store.js';
import { PruneService, assertNewestKept } from '../../daemon/src/retention/prune.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { commitSample, tempDatastore, type OpenDatastore } from '../helpers/datastore.js';
import { tempDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 1, 12); // 2026-03-01 12:00Z

async function setup(t: TestContext) {
  const ds = await tempDatastore(t);
  const state = openStateDb(tempDir(t));
  const bus = new EventBus((err) => {
    throw err;
  });
  const tasks = new TaskRegistry(state, bus);
  await tasks.start();
  t.after(async () => {
    await tasks.stop();
    await state.close();
  });
  const catalog = new Catalog(ds.catalog, bus);
  const policies = new PolicyStore(state);
  const prune = new PruneService({ catalog, holds: ds.holds, policies, tasks, timeZone: 'UTC' });
  return { ds, state, tasks, catalog, policies, prune };
}

async function commitAt(ds: OpenDatastore, group: string, times: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const time of times) ids.push((await commitSample(ds, group, time)).summary.id);
  return ids;
}

test('keep-daily over days with gaps and several backups a day; protected and held snapshots stay', async (t) => {
  const { ds, catalog, policies, prune } = await setup(t);
  // day 0: two backups; day 1: none; day 2: one; day 3: two
  const [a0, a1, b, c0, c1] = await commitAt(ds, 'web', [T0, T0 + 3_600_000, T0 + 2 * DAY, T0 + 3 * DAY, T0 + 3 * DAY + 60_000]) as [string, string, string, string, string];
  await policies.set('web', { keepDaily: 2 }, 'test');
  const preview = prune.preview('web');
  assert.deepEqual(preview.snapshots.map((s) => [s.id, s.keep, s.reasons]), [
    [c1, true, ['daily 2026-03-04']],
    [c0, false, ['no rule keeps it']],
    [b, true, ['daily 2026-03-03']],
    [a1, false, ['no rule keeps it']],
    [a0, false, ['no rule keeps it']],
  ]);

  await catalog.protect(a0, 'test');
  await ds.holds.add({ owner: 'replication:offsite', kind: 'snapshot', target: a1, reason: 'not yet sent' });
  const { summary, task } = await prune.prune({ by: 'test' });
  assert.equal(task.status, 'succeeded');
  assert.deepEqual(summary.groups[0]?.removed, [c0]);
  assert.deepEqual(summary.groups[0]?.skipped, [{ id: a1, reason: 'held by replication:offsite' }]);
  assert.deepEqual(catalog.snapshots('web').map((s) => s.id), [a0, a1, b, c1]);
});

test('the newest unprotected snapshot is asserted kept; a failing prune fails its task with the typed error', async (t) => {
  const decisions = [
    { id: 'b'.repeat(64), time: '', protected: true, keep: true, reasons: ['protected'] },
    { id: 'a'.repeat(64), time: '', protected: false, keep: false, reasons: ['no rule keeps it'] },
  ];
  assert.throws(() => assertNewestKept('web', decisions), (e: unknown) => e instanceof HavenError && e.code === 'PRUNE_INVARIANT');
  assert.doesNotThrow(() => assertNewestKept('web', [{ ...decisions[1]!, keep: true, reasons: ['last 1'] }]));

  const { prune, tasks } = await setup(t);
  await assert.rejects(prune.prune({ by: 'test', group: 'web', policy: { keepLast: 0, keepDaily: 0 } }), (e: unknown) => e instanceof HavenError && e.code === 'VALIDATION_FAILED');
  const failed = tasks.list({ kind: 'retention.prune' });
  assert.equal(failed[0]?.status, 'failed');
  assert.match(failed[0]?.result ?? '', /keeps no snapshot/);
});

test('retention.pruneCron: the scheduled prune prunes every group with a policy; empty disables it', async (t) => {
  const { ds, state, tasks, catalog, policies } = await setup(t);
  const web = await commitAt(ds, 'web', [T0, T0 + DAY, T0 + 2 * DAY]);
  const other = await commitAt(ds, 'other', [T0, T0 + DAY]);
  await policies.set('web', { keepLast: 1 }, 'test');

  const { config } = loadConfig({ env: {}, flags: { dataDir: tempDir(t) } });
  assert.equal(config.retention.pruneCron, '30 1 * * *', 'daily at 01:30 by default');
  const log = pino({ level: 'silent' });
  const scheduler = new Scheduler(log);
  t.after(() => scheduler.stop());
  const area = retentionArea({ config: config.retention, state, catalog, holds: ds.holds, tasks, scheduler, now: Date.now, log });
  area.start();
  const job = scheduler.list().find((j) => j.name === 'retention.prune');
  assert.equal(job?.schedule, '30 1 * * *');
  await scheduler.trigger('retention.prune');
  assert.deepEqual(catalog.snapshots('web').map((s) => s.id), web.slice(2));
  assert.deepEqual(catalog.snapshots('other').map((s) => s.id), other, 'no policy: never pruned');
  assert.equal(tasks.list({ kind: 'retention.prune' })[0]?.status, 'succeeded');
  area.stop();
  assert.equal(scheduler.list().some((j) => j.name === 'retention.prune'), false);

  const disabled = new Scheduler(log);
  t.after(() => disabled.stop());
  retentionArea({ config: { pruneCron: '' }, state, catalog, holds: ds.holds, tasks, scheduler: disabled, now: Date.now, log }).start();
  assert.equal(disabled.list().length, 0);
});
