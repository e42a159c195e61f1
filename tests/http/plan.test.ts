// The plan and notification routes in process (issue 15): entries and targets are validated
// with typed errors, replaced in place, listed, removed; only admins reach them.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NotifyList, NotifyTarget } from '../../core/src/api/notify.js';
import type { PlanEntryStatus, PlanList } from '../../core/src/api/plan.js';
import { tempDir } from '../helpers/tmp.js';
import { inProcessServer, type InProcess } from './in-process.js';

async function adminCaller(api: InProcess) {
  const admin = { authorization: `Bearer ${await api.token('admin')}` };
  return (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: object) =>
    api.server.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
}

/** The catalogue code of an error answer. */
const code = (r: { json(): unknown }): string => (r.json() as { error: { code: string } }).error.code;

test('plan entries: typed errors, NEVER at first, replaced keeping their creation time, removed', async (t) => {
  const api = await inProcessServer(t);
  const call = await adminCaller(api);

  const missing = await call('GET', '/api/v1/plan/web01');
  assert.equal(missing.statusCode, 404);
  assert.equal(code(missing), 'PLAN_ENTRY_NOT_FOUND');
  assert.equal(code(await call('DELETE', '/api/v1/plan/web01')), 'PLAN_ENTRY_NOT_FOUND');
  assert.equal(code(await call('POST', '/api/v1/plan/web01/enroll')), 'PLAN_ENTRY_NOT_FOUND');
  assert.equal(code(await call('PUT', '/api/v1/plan/web01', { rpo: '1M' })), 'VALIDATION_FAILED', 'months are not a duration');
  assert.equal(code(await call('PUT', '/api/v1/plan/web01', { rpo: '0d' })), 'VALIDATION_FAILED');
  const badCron = await call('PUT', '/api/v1/plan/web01', { rpo: '1d', schedule: '61 * * * *' });
  assert.equal(badCron.statusCode, 400);
  assert.equal(code(badCron), 'PLAN_SCHEDULE_INVALID');
  assert.equal(code(await call('PUT', '/api/v1/plan/web01', { rpo: '1d', colour: 'blue' })), 'VALIDATION_FAILED');
  const badDrill = await call('PUT', '/api/v1/plan/web01', { rpo: '1d', drillSchedule: '0 25 * * *' });
  assert.match((badDrill.json() as { error: { code: string; message: string } }).error.message, /0 25 \* \* \*/, 'the pattern is named');
  assert.equal(code(badDrill), 'PLAN_SCHEDULE_INVALID');
  assert.equal(code(await call('PUT', '/api/v1/plan/web01', { rpo: '1d', drillSchedule: '' })), 'VALIDATION_FAILED', '`never`, not empty, is no schedule');
  for (const linkRateMBps of [0, -5, 'fast']) assert.equal(code(await call('PUT', '/api/v1/plan/web01', { rpo: '1d', linkRateMBps })), 'VALIDATION_FAILED');

  const added = await call('PUT', '/api/v1/plan/web01', { rpo: '1d', schedule: '0 2 * * *', owner: 'ops', rto: '4h', offsitePeer: 'peer-b' });
  assert.equal(added.statusCode, 200, added.body);
  const first = added.json() as PlanEntryStatus;
  assert.equal(first.state, 'NEVER');
  assert.equal(first.entry.grace, '1h', 'the default grace');
  assert.deepEqual([first.rtoEstimate.configured, first.offsite.configured], [false, false]);
  await new Promise((r) => setTimeout(r, 5));
  const paused = (await call('PUT', '/api/v1/plan/web01', { rpo: '2d', mode: 'paused' })).json() as PlanEntryStatus;
  assert.equal(paused.state, 'PAUSED');
  assert.equal(paused.entry.created, first.entry.created);
  assert.notEqual(paused.entry.updated, first.entry.updated);
  assert.equal(paused.entry.schedule, null, 'a replacement drops what it does not give');
  assert.deepEqual([first.entry.drillSchedule, first.entry.linkRateMBps], [null, null], 'the global drill schedule, no link bound');
  const own = (await call('PUT', '/api/v1/plan/web01', { rpo: '1d', drillSchedule: 'never', linkRateMBps: 12.5 })).json() as PlanEntryStatus;
  assert.deepEqual([own.entry.drillSchedule, own.entry.linkRateMBps], ['never', 12.5]);
  await call('PUT', '/api/v1/plan/web01', { rpo: '2d', mode: 'paused' });
  const list = (await call('GET', '/api/v1/plan')).json() as PlanList;
  assert.deepEqual(list.entries.map((e) => [e.group, e.state]), [['web01', 'PAUSED']]);

  const backup = await api.token('backup:web01');
  const refused = await api.server.inject({ method: 'GET', url: '/api/v1/plan', headers: { authorization: `Bearer ${backup}` } });
  assert.equal(refused.statusCode, 403, 'a client token does not read the plan');

  assert.equal((await call('DELETE', '/api/v1/plan/web01')).statusCode, 204);
  assert.deepEqual(((await call('GET', '/api/v1/plan')).json() as PlanList).entries, []);
});

test('notification targets: secrets must be readable, rules default to warning, unknown names are typed 404s', async (t) => {
  const api = await inProcessServer(t);
  const call = await adminCaller(api);
  const dir = tempDir(t);

  const unreadable = await call('PUT', '/api/v1/notify/targets/hook', { channel: { kind: 'webhook', url: 'http://127.0.0.1:9/x', secretFile: join(dir, 'absent') } });
  assert.equal(unreadable.statusCode, 400);
  assert.equal(code(unreadable), 'NOTIFY_SECRET_UNREADABLE');
  writeFileSync(join(dir, 'empty'), '');
  assert.equal(code(await call('PUT', '/api/v1/notify/targets/hook', { channel: { kind: 'webhook', url: 'http://x', secretFile: join(dir, 'empty') } })), 'NOTIFY_SECRET_UNREADABLE');
  assert.equal(code(await call('PUT', '/api/v1/notify/targets/hook', { channel: { kind: 'webhook', url: 'ftp://x' } })), 'VALIDATION_FAILED');
  assert.equal(code(await call('PUT', '/api/v1/notify/targets/Bad%20Name', { channel: { kind: 'webhook', url: 'http://x' } })), 'VALIDATION_FAILED');
  assert.equal(code(await call('PUT', '/api/v1/notify/targets/mail', { channel: { kind: 'smtp', host: 'h', port: 25, from: 'a@b', to: ['not an address'] } })), 'VALIDATION_FAILED');

  writeFileSync(join(dir, 'secret'), 's3cret\n');
  const hook = await call('PUT', '/api/v1/notify/targets/hook', { channel: { kind: 'webhook', url: 'http://127.0.0.1:9/x', secretFile: join(dir, 'secret') } });
  assert.equal(hook.statusCode, 200, hook.body);
  assert.deepEqual((hook.json() as NotifyTarget).rule, { minSeverity: 'warning' });
  const mail = await call('PUT', '/api/v1/notify/targets/mail', {
    channel: { kind: 'smtp', host: '127.0.0.1', port: 25, from: 'haven@a.test', to: ['ops@a.test'] }, rule: { minSeverity: 'critical', kinds: ['rpo.*'] },
  });
  assert.equal(mail.statusCode, 200, mail.body);
  assert.deepEqual(((await call('GET', '/api/v1/notify/targets')).json() as NotifyList).targets.map((x) => x.name), ['hook', 'mail']);

  assert.equal(code(await call('POST', '/api/v1/notify/targets/nope/test')), 'NOTIFY_TARGET_NOT_FOUND');
  assert.equal(code(await call('DELETE', '/api/v1/notify/targets/nope')), 'NOTIFY_TARGET_NOT_FOUND');
  assert.equal((await call('DELETE', '/api/v1/notify/targets/mail')).statusCode, 204);
  assert.deepEqual(((await call('GET', '/api/v1/notify/outbox')).json() as { messages: unknown[] }).messages, []);
});
