// Dead-man switches (issue 15) with the real scheduler, task registry, alert centre and state
// db: a polled job that keeps failing raises `job.overdue:<job>` once its window (two periods
// plus one) has passed without a success, and the alert clears after it succeeds; a
// task-backed job (its success is a task of its kind) stays overdue while its tasks fail and
// clears the moment one succeeds (a plan entry's `drill:<group>` when a drill of that group
// does); the last success survives a restart of the watch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { EventBus } from '../../daemon/src/events.js';
import { AlertCenter } from '../../daemon/src/jobs/alerts.js';
import { DeadManSwitches, periodOf, windowOf } from '../../daemon/src/jobs/dead-man.js';
import { Scheduler, sleep } from '../../daemon/src/jobs/scheduler.js';
import { TaskRegistry } from '../../daemon/src/jobs/tasks.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

test('windows: two periods plus one, at most an hour of slack', () => {
  assert.equal(periodOf('every 1000 ms'), 1000);
  assert.equal(periodOf('15 */6 * * *'), 6 * 3_600_000);
  assert.equal(periodOf('30 1 * * *'), 86_400_000);
  assert.equal(periodOf('not a schedule'), null);
  assert.equal(windowOf(1000), 3000);
  assert.equal(windowOf(86_400_000), 49 * 3_600_000);
});

test('a failing job goes overdue and clears when it succeeds; a task-backed job by its tasks', { timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const state = openStateDb(dir);
  t.after(() => state.close());
  const bus = new EventBus((err) => assert.fail(String(err)));
  const alerts = new AlertCenter(state, bus);
  const tasks = new TaskRegistry(state, bus, { progressIntervalMs: 0 });
  await tasks.start();
  const scheduler = new Scheduler(pino({ level: 'silent' }));
  t.after(async () => {
    await scheduler.stop();
    await tasks.stop();
  });
  let healthy = false;
  scheduler.every('probe', 100, () => {
    if (!healthy) throw new Error('the probe failed');
  }, { firstDelayMs: 0 });
  // Task-backed: the scheduled callback does nothing itself, tasks of kind 'drill' decide.
  scheduler.every('drill', 100, () => undefined);
  // A plan entry's own drill job: only a drill of its group is its success.
  scheduler.every('drill:web', 100, () => undefined);
  const switches = new DeadManSwitches({ scheduler, alerts, bus, state, now: Date.now, ownJob: 'jobs.dead-man' });
  switches.start();
  t.after(() => switches.stop());

  assert.deepEqual(switches.check(), [], 'within the window at first sight');
  const failing = tasks.run({ kind: 'drill', title: 'drill' }, async () => {
    throw new Error('damaged');
  });
  await sleep(450); // past 300 ms: three periods without a success
  assert.equal(tasks.get(failing.id).status, 'failed');
  assert.deepEqual(switches.check().sort(), ['drill', 'drill:web', 'probe']);
  const probe = alerts.byKey('job.overdue:probe');
  assert.ok(probe && probe.severity === 'warning' && probe.message.includes('the probe failed'), JSON.stringify(probe));
  assert.ok(alerts.byKey('job.overdue:drill'));

  healthy = true;
  const ranWell = (): boolean => scheduler.list().some((j) => j.name === 'probe' && j.lastError === null && !j.running);
  for (let i = 0; i < 500 && !ranWell(); i++) await sleep(10);
  assert.deepEqual(switches.check().sort(), ['drill', 'drill:web']);
  assert.equal(alerts.byKey('job.overdue:probe'), null, 'cleared by a successful run');

  const passing = tasks.run({ kind: 'drill', title: 'drill' }, async () => 'passed');
  for (let i = 0; i < 500 && alerts.byKey('job.overdue:drill') !== null; i++) await sleep(10);
  assert.equal(tasks.get(passing.id).status, 'succeeded');
  assert.equal(alerts.byKey('job.overdue:drill'), null, 'cleared by the drill that succeeded');
  assert.deepEqual(switches.check(), ['drill:web'], 'a drill of no group is not the entry\'s');

  const succeeded = async (subject: string): Promise<void> => {
    const task = tasks.run({ kind: 'drill', title: `drill of ${subject}`, subject }, async () => 'passed');
    for (let i = 0; i < 500 && tasks.get(task.id).status === 'running'; i++) await sleep(10);
  };
  await succeeded('db');
  assert.deepEqual(switches.check(), ['drill:web'], 'a drill of another group is not the entry\'s');
  await succeeded('web');
  // The task reads as succeeded a moment before task.ended (which the switches hear) is emitted.
  for (let i = 0; i < 500 && alerts.byKey('job.overdue:drill:web') !== null; i++) await sleep(10);
  assert.equal(alerts.byKey('job.overdue:drill:web'), null, 'cleared by a drill of its group');
  assert.deepEqual(switches.check(), []);

  // A new watch over the same state db remembers the last successes.
  switches.stop();
  const again = new DeadManSwitches({ scheduler, alerts, bus, state, now: Date.now, ownJob: 'jobs.dead-man' });
  assert.deepEqual(again.check(), []);
});
