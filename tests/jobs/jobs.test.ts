// Tasks, alerts and the scheduler, on a real LMDB state environment.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { HavenEvents } from '../../core/src/api/events.js';
import { EventBus, type EventName } from '../../daemon/src/events.js';
import { AlertCenter } from '../../daemon/src/jobs/alerts.js';
import { Scheduler, sleep } from '../../daemon/src/jobs/scheduler.js';
import { TaskRegistry } from '../../daemon/src/jobs/tasks.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

function recorder(bus: EventBus): Array<{ name: EventName; payload: HavenEvents[EventName] }> {
  const seen: Array<{ name: EventName; payload: HavenEvents[EventName] }> = [];
  bus.onAny({}, (name, payload) => seen.push({ name, payload }));
  return seen;
}

test('tasks: progress, bounded log, final status, persisted; interrupted after a restart', async (t) => {
  const dir = tempDir(t);
  let state = openStateDb(dir);
  const bus = new EventBus((err) => assert.fail(String(err)));
  const events = recorder(bus);
  const tasks = new TaskRegistry(state, bus, { maxLogLines: 5, progressIntervalMs: 0 });
  const ok = await tasks.runAndWait({ kind: 'test.ok', title: 'works', subject: 'disk1' }, async (ctx) => {
    for (let i = 1; i <= 8; i++) {
      ctx.log(`step ${i}`);
      ctx.progress(i / 8, `step ${i}`);
    }
    return 'all 8 steps';
  });
  assert.equal(ok.status, 'succeeded');
  assert.equal(ok.result, 'all 8 steps');
  assert.deepEqual(ok.log.map((l) => l.message), ['step 4', 'step 5', 'step 6', 'step 7', 'step 8']);
  assert.equal(ok.logDropped, 3);
  const failed = await tasks.runAndWait({ kind: 'test.fail', title: 'breaks' }, async () => {
    throw new Error('the disk went away');
  });
  assert.equal(failed.status, 'failed');
  assert.equal(failed.result, 'the disk went away');
  const names = events.map((e) => e.name);
  assert.equal(names[0], 'task.started');
  assert.equal(names.filter((n) => n === 'task.progress').length, 8);
  assert.equal(names.filter((n) => n === 'task.ended').length, 2);
  assert.deepEqual(tasks.list({ subject: 'disk1' }).map((x) => x.id), [ok.id]);
  assert.deepEqual(tasks.list().map((x) => x.id), [failed.id, ok.id], 'newest first');

  // Cancelled through its signal.
  const long = tasks.run({ kind: 'test.long', title: 'waits' }, (ctx) => sleep(60_000, ctx.signal));
  tasks.cancel(long.id);
  await sleep(50);
  assert.equal(tasks.get(long.id).status, 'cancelled');

  // A task still running when the process stops is `interrupted` on the next start.
  const stuck = tasks.run({ kind: 'test.stuck', title: 'never ends' }, () => new Promise(() => {}));
  await sleep(20);
  await state.close(); // the process "dies": no stop(), no final write
  state = openStateDb(dir);
  t.after(() => state.close());
  const again = new TaskRegistry(state, bus);
  await again.start();
  assert.equal(again.get(stuck.id).status, 'interrupted');
  assert.equal(again.get(ok.id).status, 'succeeded');
});

test('alerts: raise, quiet updates, acknowledge, raised again only when worse, clear', async (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const bus = new EventBus((err) => assert.fail(String(err)));
  const events = recorder(bus);
  const alerts = new AlertCenter(state, bus);
  const key = 'pool.degraded:main';
  const a = alerts.raise(key, { severity: 'warning', subject: 'pool main', message: '1 device missing', evidence: { missing: 1 } });
  alerts.raise(key, { severity: 'warning', subject: 'pool main', message: '1 device missing', evidence: { missing: 1 } });
  assert.deepEqual(events.map((e) => e.name), ['alert.raised'], 'the same condition again is silent');
  alerts.acknowledge(a.id, 'admin', 'disk ordered');
  alerts.raise(key, { severity: 'warning', subject: 'pool main', message: '1 device still missing', evidence: { missing: 1 } });
  assert.equal(alerts.byKey(key)?.acknowledged?.note, 'disk ordered', 'a reworded message is not worse');
  alerts.raise(key, { severity: 'critical', subject: 'pool main', message: '2 devices missing', evidence: { missing: 2 } });
  const worse = alerts.byKey(key);
  assert.equal(worse?.acknowledged, null);
  assert.equal(worse?.reraised, 1);
  assert.deepEqual(events.map((e) => e.name), ['alert.raised', 'alert.changed', 'alert.changed', 'alert.raised']);
  // Persisted: a new center (daemon restart) knows the open alert and its acknowledgement.
  alerts.acknowledge(a.id, 'admin', 'both known');
  await state.env.committed;
  const reopened = new AlertCenter(state, bus);
  reopened.raise(key, { severity: 'critical', subject: 'pool main', message: '2 devices missing', evidence: { missing: 2 } });
  assert.equal(reopened.byKey(key)?.acknowledged?.note, 'both known');
  reopened.clear(key);
  await state.env.committed;
  assert.equal(reopened.list().length, 0);
  assert.equal(reopened.list({ cleared: true })[0]?.id, a.id);
  assert.throws(() => reopened.acknowledge(a.id, 'admin', 'x'), /No alert/);
});

test('scheduler: intervals without overlap, cron through croner, trigger, stop', async () => {
  const s = new Scheduler(pino({ level: 'silent' }));
  let runs = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  s.every('tick', 20, async () => {
    runs++;
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await sleep(50);
    concurrent--;
  }, { firstDelayMs: 0 });
  let cronRuns = 0;
  s.cron('each-second', '* * * * * *', () => {
    cronRuns++;
  });
  assert.match(s.list().find((j) => j.name === 'each-second')?.nextRun ?? '', /^\d{4}-/);
  let failures = 0;
  s.every('fails', 10, () => {
    failures++;
    throw new Error('boom');
  }, { firstDelayMs: 0 });
  await sleep(1300);
  await s.trigger('tick');
  await s.stop();
  const after = runs;
  await sleep(100);
  assert.equal(runs, after, 'nothing runs after stop');
  assert.ok(runs >= 5, `ran ${runs} times`);
  assert.equal(maxConcurrent, 1);
  assert.ok(cronRuns >= 1);
  assert.ok(failures >= 2, 'a failing job runs again');
  assert.equal(s.list().find((j) => j.name === 'fails')?.lastError, 'boom');
});

test('tasks: a task is found at every moment until it has ended, however short it is', async (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const tasks = new TaskRegistry(state, new EventBus((err) => assert.fail(String(err))));
  // A poll on every turn of the event loop, as `havend gc --wait` polls GET /tasks/:id: the
  // task's final record is written asynchronously, and a poll in between must still find it.
  for (let i = 0; i < 20; i++) {
    const { id } = tasks.run({ kind: 'test.short', title: 'returns at once' }, async () => 'done');
    let seen = tasks.get(id);
    while (seen.status === 'running') {
      await new Promise((r) => setImmediate(r));
      seen = tasks.get(id);
    }
    assert.equal(seen.status, 'succeeded');
  }
  await tasks.stop();
});

test('tasks: settled() answers as the task ends, or after the wait with it still running', async (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  const tasks = new TaskRegistry(state, new EventBus((err) => assert.fail(String(err))));
  let finish: () => void = () => undefined;
  const { id } = tasks.run({ kind: 'test.gated', title: 'ends when told' }, () => new Promise<string>((resolve) => { finish = () => resolve('told'); }));
  assert.equal((await tasks.settled(id, 20)).status, 'running', 'the wait ran out first');
  const waiting = tasks.settled(id, 30_000);
  setTimeout(() => finish(), 50);
  const ended = await waiting;
  assert.equal(ended.status, 'succeeded', 'answered at the end, not at the 30 s bound');
  assert.equal(ended.result, 'told');
  assert.equal((await tasks.settled(id, 30_000)).status, 'succeeded', 'an ended task answers at once');
  await tasks.stop();
});
