// The RPO watch's rules (daemon/src/plan/rpo-state.ts), table-driven with an injected clock,
// then the watch itself over a real LMDB state db: alerts raised and resolved as time and
// snapshots move, and the routing rules of notifications.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlanEntry } from '../../core/src/api/plan.js';
import type { GroupSummary, SnapshotSummary } from '../../core/src/api/snapshots.js';
import { HavenError } from '../../core/src/errors.js';
import { EventBus } from '../../daemon/src/events.js';
import { AlertCenter } from '../../daemon/src/jobs/alerts.js';
import { ruleMatches } from '../../daemon/src/notify/rules.js';
import { PlanStore } from '../../daemon/src/plan/plan-store.js';
import { evaluateRpo } from '../../daemon/src/plan/rpo-state.js';
import { RpoWatch } from '../../daemon/src/plan/rpo-watch.js';
import { openStateDb } from '../../daemon/src/state/state-db.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const MIN = 60_000;
const HOUR = 60 * MIN;

const base: Pick<PlanEntry, 'rpo' | 'schedule' | 'grace' | 'mode' | 'created'> = {
  rpo: '1d', schedule: null, grace: '1h', mode: 'active', created: new Date(T0).toISOString(),
};

test('RPO states follow their rules at each instant', () => {
  const daily = { ...base, schedule: '0 2 * * *' }; // due 02:00 every day (UTC below)
  const cases: Array<{ name: string; entry: typeof base; newest: number | null; now: number; state: string }> = [
    { name: 'new entry, no backup', entry: base, newest: null, now: T0 + HOUR, state: 'NEVER' },
    { name: 'never backed up, RPO just reached', entry: base, newest: null, now: T0 + 24 * HOUR, state: 'BREACH' },
    { name: 'never backed up, one ms before the RPO', entry: base, newest: null, now: T0 + 24 * HOUR - 1, state: 'NEVER' },
    { name: 'fresh backup', entry: base, newest: T0 + HOUR, now: T0 + 2 * HOUR, state: 'OK' },
    { name: 'backup older than the RPO', entry: base, newest: T0 + HOUR, now: T0 + 25 * HOUR, state: 'BREACH' },
    { name: 'backup exactly one RPO old', entry: base, newest: T0 + HOUR, now: T0 + 25 * HOUR - 1, state: 'OK' },
    { name: 'scheduled, due time not reached', entry: daily, newest: T0 + 2 * HOUR + MIN, now: T0 + 20 * HOUR, state: 'OK' },
    { name: 'scheduled, due + grace not yet past', entry: { ...daily, rpo: '2d' }, newest: T0 + 2 * HOUR + MIN, now: T0 + 26 * HOUR + 59 * MIN, state: 'OK' },
    { name: 'scheduled, due + grace past', entry: { ...daily, rpo: '2d' }, newest: T0 + 2 * HOUR + MIN, now: T0 + 27 * HOUR, state: 'LATE' },
    { name: 'BREACH wins over LATE', entry: daily, newest: T0 + 2 * HOUR + MIN, now: T0 + 27 * HOUR, state: 'BREACH' },
    { name: 'never backed up, scheduled run missed', entry: { ...daily, rpo: '2d' }, newest: null, now: T0 + 3 * HOUR + 1, state: 'LATE' },
    { name: 'paused wins over anything', entry: { ...base, mode: 'paused' }, newest: null, now: T0 + 100 * HOUR, state: 'PAUSED' },
    { name: 'retired wins over anything', entry: { ...base, mode: 'retired' }, newest: T0, now: T0 + 100 * HOUR, state: 'RETIRED' },
    { name: 'seconds-long RPO', entry: { ...base, rpo: '5s' }, newest: T0, now: T0 + 5_000, state: 'BREACH' },
  ];
  for (const c of cases) {
    const v = evaluateRpo({ entry: c.entry, newestSnapshot: c.newest, now: c.now, timeZone: 'UTC' });
    assert.equal(v.state, c.state, `${c.name}: ${v.reason}`);
    assert.ok(v.reason.length > 0);
  }
  const late = evaluateRpo({ entry: { ...daily, rpo: '2d' }, newestSnapshot: T0 + 2 * HOUR + MIN, now: T0 + 27 * HOUR, timeZone: 'UTC' });
  assert.equal(late.nextDue, T0 + 26 * HOUR, 'the first due time after the newest backup');
  assert.equal(late.breachAt, T0 + 2 * HOUR + MIN + 48 * HOUR);
  assert.throws(() => evaluateRpo({ entry: { ...base, schedule: 'not a cron' }, newestSnapshot: null, now: T0 }), (e: unknown) => e instanceof HavenError && e.code === 'PLAN_SCHEDULE_INVALID');
});

test('the watch raises LATE and BREACH alerts and resolves them when a backup arrives or the entry goes', async (t) => {
  const state = openStateDb(tempDir(t));
  t.after(() => state.close());
  let now = T0;
  const bus = new EventBus((err) => assert.fail(String(err)));
  const changes: Array<{ group: string; state: string | null }> = [];
  bus.on({}, 'plan.changed', (c) => changes.push(c));
  const alerts = new AlertCenter(state, bus, 100, () => now);
  const plans = new PlanStore(state, () => now);
  const snapshots = new Map<string, SnapshotSummary>();
  const catalog = {
    latest: (g: string) => snapshots.get(g) ?? null,
    snapshots: (g: string) => [...snapshots.values()].filter((s) => s.group === g),
    groups: (): GroupSummary[] => [...snapshots.values()].map((s) => ({ name: s.group, snapshots: 1, latest: s })),
  };
  const watch = new RpoWatch({ plans, catalog, retention: () => null, alerts, bus, now: () => now, timeZone: 'UTC' });
  const commit = (group: string, at: number): void => {
    snapshots.set(group, { id: 'a'.repeat(64), group, time: new Date(at).toISOString(), host: 'h', paths: [], tags: [], root: 'b'.repeat(64), session: 's', stats: {} as SnapshotSummary['stats'] });
  };
  const keys = (): string[] => alerts.list().map((a) => `${a.key} ${a.severity}`).sort();

  await plans.set('web01', { rpo: '2d', schedule: '0 2 * * *' }, 'test');
  commit('other', T0);
  assert.deepEqual(watch.check().map((s) => s.state), ['NEVER']);
  assert.deepEqual(watch.list().unplanned.map((u) => u.group), ['other']);
  assert.deepEqual(keys(), []);

  now = T0 + 3 * HOUR + 1; // 02:00 came and went, plus the hour of grace
  watch.check();
  assert.deepEqual(keys(), ['rpo.late:web01 warning']);
  assert.equal(alerts.byKey('rpo.late:web01')?.group, 'web01');

  now = T0 + 48 * HOUR;
  watch.check();
  assert.deepEqual(keys(), ['rpo.breach:web01 critical'], 'BREACH replaces LATE');
  const raised = alerts.byKey('rpo.breach:web01');
  now += 10 * MIN;
  watch.check();
  assert.equal(alerts.byKey('rpo.breach:web01')?.updated, raised?.updated, 'a later check changes nothing');

  commit('web01', now);
  watch.check();
  assert.deepEqual(keys(), [], 'a backup resolves it');
  assert.equal(watch.stateOf('web01'), 'OK');

  now += 72 * HOUR;
  watch.check();
  assert.deepEqual(keys(), ['rpo.breach:web01 critical']);
  await plans.remove('web01');
  watch.forget('web01');
  assert.deepEqual(keys(), [], 'removing the entry resolves its alerts');
  assert.deepEqual(changes.map((c) => c.state), ['NEVER', 'LATE', 'BREACH', 'OK', 'BREACH', null]);
});

test('notification rules match by severity, kind and group', () => {
  const breach = { kind: 'rpo.breach', severity: 'critical' as const, group: 'web01' };
  const info = { kind: 'disk.smart', severity: 'info' as const, group: null };
  const cases: Array<[Parameters<typeof ruleMatches>[0], Parameters<typeof ruleMatches>[1], boolean]> = [
    [{}, breach, true],
    [{}, info, false], // warning is the default minimum
    [{ minSeverity: 'info' }, info, true],
    [{ minSeverity: 'critical' }, { ...breach, severity: 'warning' }, false],
    [{ kinds: ['rpo.*'] }, breach, true],
    [{ kinds: ['rpo.late'] }, breach, false],
    [{ groups: ['web01'] }, breach, true],
    [{ groups: ['db01'] }, breach, false],
    [{ groups: ['web01'], minSeverity: 'info' }, info, false], // no group: never matches a rule with groups
  ];
  for (const [rule, event, expected] of cases) assert.equal(ruleMatches(rule, event), expected, JSON.stringify({ rule, event }));
});
