// Issue 15's acceptance for the plan, the RPO watch and notifications, with real parts: a
// real havend, the real `haven` client enrolled by the line `havend plan enroll` prints, a
// webhook receiver verifying the HMAC (an http server on 127.0.0.1) and a real SMTP server in
// its own process. A plan entry with a 4-second RPO and no backup goes NEVER, then BREACH:
// the alert reaches both targets; a backup resolves it and both get "resolved". Then the
// outbox redelivers to a receiver that was down, once while the daemon runs and once across a
// daemon restart. Every wait is bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutboxList, OutboxMessage } from '../../core/src/api/notify.js';
import type { Enrolment, PlanList } from '../../core/src/api/plan.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { LocalClient } from '../../daemon/src/cli/local-client.js';
import { runBounded } from '../helpers/bounded-run.js';
import { HAVEND, createToken, startDaemon, type Daemon } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { waitFor } from '../helpers/pool-scenario.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { tempDir } from '../helpers/tmp.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const WAIT_MS = 30_000;
const DAEMON_ENV = { HAVEND_JOBS_RPO_CHECK_SECONDS: '1', HAVEND_NOTIFY_RETRY_BASE_SECONDS: '1', HAVEND_NOTIFY_RETRY_MAX_SECONDS: '2' };
const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN')));

async function havendCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runBounded(HAVEND, args, { env: cleanEnv(), timeoutMs: 60_000 });
}

async function planList(dataDir: string): Promise<PlanList> {
  const r = await havendCli(['plan', 'list', '--json', '--data', dataDir]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  return JSON.parse(r.stdout) as PlanList;
}

async function planState(dataDir: string, group: string): Promise<string | undefined> {
  return (await planList(dataDir)).entries.find((e) => e.group === group)?.state;
}

function hook(receiver: WebhookReceiver, kind: string, status: string, after = 0): Record<string, unknown> | null {
  return receiver.received.slice(after).find((h) => h.body.kind === kind && h.body.status === status)?.body ?? null;
}

/** A message whose text (quoted-printable soft breaks undone) matches. */
function mail(sink: SmtpSink, pattern: RegExp, after = 0): string | null {
  return sink.messages.slice(after).map((m) => m.data.replace(/=\r?\n/g, '')).find((text) => pattern.test(text)) ?? null;
}

/** One sample of GET /metrics (`name{labels}` exactly as rendered), or undefined. */
async function metric(daemon: Daemon, token: string, series: string): Promise<number | undefined> {
  const res = await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function outboxFor(dataDir: string, target: string): Promise<OutboxMessage[]> {
  return (await new LocalClient(dataDir).call<OutboxList>('GET', '/api/v1/notify/outbox')).messages.filter((m) => m.target === target);
}

test('a plan entry breaches, notifies a webhook and a mailbox, resolves on a backup; the outbox outlives a dead receiver and a restart', async (t) => {
  const dataDir = tempDir(t);
  const home = tempDir(t, 'haven-home-');
  const secretFile = join(home, 'hook.secret');
  writeFileSync(secretFile, 'correct horse battery staple\n', { mode: 0o600 });
  const receiver = await startWebhookReceiver(t, 'correct horse battery staple');
  const sink = await startSmtpSink(t);
  const metricsToken = createToken(dataDir, 'metrics');
  let daemon: Daemon = await startDaemon(t, { dataDir, env: DAEMON_ENV });

  // usage errors say so (exit 2) before anything reaches the daemon
  for (const args of [['notify', 'add', 'x'], ['notify', 'add', 'x', '--smtp', 'host-without-port', '--from', 'a@b', '--to', 'c@d'], ['plan', 'add', 'web01'], ['plan', 'add', 'web01', '--rpo', '1d', '--mode', 'sleeping']]) {
    const r = await havendCli([...args, '--data', dataDir]);
    assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.stderr}`);
  }

  // targets, and a test send to each
  for (const args of [
    ['hook', '--webhook', receiver.url, '--secret-file', secretFile],
    ['mail', '--smtp', `127.0.0.1:${sink.port}`, '--from', 'haven@appliance.test', '--to', 'ops@example.test'],
  ]) {
    const r = await havendCli(['notify', 'add', ...args, '--data', dataDir]);
    assert.equal(r.code, EXIT.ok, r.stderr);
  }
  assert.match((await havendCli(['notify', 'list', '--data', dataDir])).stdout, /hook {2}webhook .* \(signed\)[\s\S]*mail {2}smtp 127\.0\.0\.1/);
  for (const name of ['hook', 'mail']) {
    const r = await havendCli(['notify', 'test', name, '--data', dataDir]);
    assert.equal(r.code, EXIT.ok, `${r.stdout}${r.stderr}`);
  }
  assert.ok(hook(receiver, 'test', 'test'), 'the test send reached the webhook');
  assert.ok(mail(sink, /Subject: \[Haven [^\]]+\] Test: test/), 'the test send reached the mailbox');
  const unreachable = await havendCli(['notify', 'add', 'nowhere', '--webhook', 'http://127.0.0.1:9/x', '--min-severity', 'critical', '--data', dataDir]);
  assert.equal(unreachable.code, EXIT.ok, unreachable.stderr);
  const failed = await havendCli(['notify', 'test', 'nowhere', '--data', dataDir]);
  assert.equal(failed.code, EXIT.failure, 'a test send that fails says so');
  assert.match(failed.stdout, /NOT delivered/);
  assert.equal((await havendCli(['notify', 'remove', 'nowhere', '--data', dataDir])).code, EXIT.ok);

  // NEVER, then BREACH once the RPO has passed since the entry was added
  const add = await havendCli(['plan', 'add', 'web01', '--rpo', '4s', '--owner', 'ops team', '--data', dataDir]);
  assert.equal(add.code, EXIT.ok, add.stderr);
  assert.match(add.stdout, /^NEVER +web01 {2}RPO 4s/);
  const created = (await planList(dataDir)).entries[0]?.entry.created;
  const raised = await waitFor('the breach reaches the webhook', WAIT_MS, async () => hook(receiver, 'rpo.breach', 'raised'));
  assert.equal(raised.group, 'web01');
  assert.equal(raised.state, 'BREACH');
  assert.equal(raised.severity, 'critical');
  assert.ok(receiver.received.every((h) => h.verified), 'every webhook body carries a valid HMAC-SHA256 signature');
  assert.ok(receiver.received.every((h) => h.event === h.body.kind));
  const breachMail = await waitFor('the breach reaches the mailbox', WAIT_MS, async () => mail(sink, /Subject: \[Haven [^\]]+\] CRITICAL: rpo\.breach web01 \(BREACH\)/));
  assert.match(breachMail, /no backup since it was added to the protection plan/);
  assert.equal(await planState(dataDir, 'web01'), 'BREACH');
  assert.equal(await metric(daemon, metricsToken, 'haven_plan_rpo_state{group="web01",state="BREACH"}'), 1);
  assert.equal(await metric(daemon, metricsToken, 'haven_plan_rpo_state{group="web01",state="OK"}'), 0);

  // enrol the client with the printed line and back up: the alert resolves by itself
  const enrolled = await havendCli(['plan', 'enroll', 'web01', '--json', '--data', dataDir]);
  assert.equal(enrolled.code, EXIT.ok, enrolled.stderr);
  const e = JSON.parse(enrolled.stdout) as Enrolment;
  assert.equal(e.command, `haven login ${daemon.url} --token ${e.token}`, 'loopback: plain HTTP, nothing to pin');
  const clientEnv = { XDG_CONFIG_HOME: join(home, 'config'), HOME: home, HAVEN_CACHE_DIR: join(home, 'cache') };
  const [, ...loginArgs] = e.command.split(' ');
  const login = await haven(loginArgs, { env: clientEnv, timeoutMs: 60_000 });
  assert.equal(login.code, 0, login.stderr);
  const source = join(home, 'data');
  mkdirSync(source);
  writeFileSync(join(source, 'a.txt'), 'protected data\n');
  const backup = async (): Promise<void> => {
    const r = await haven(['backup', '--group', 'web01', source], { env: clientEnv, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
  };
  const resolvedFrom = receiver.received.length;
  await backup();
  const resolved = await waitFor('the resolution reaches the webhook', WAIT_MS, async () => hook(receiver, 'rpo.breach', 'resolved', resolvedFrom));
  assert.equal(resolved.state, 'OK', 'the state that resolved it');
  assert.equal(resolved.alertId, raised.alertId);
  await waitFor('the resolution reaches the mailbox', WAIT_MS, async () => mail(sink, /Subject: \[Haven [^\]]+\] Resolved: rpo\.breach web01 \(OK\)/));
  const other = await haven(['backup', '--group', 'db01', source], { env: clientEnv, timeoutMs: 60_000 });
  assert.equal(other.code, 4, `the enrolment token backs up its own group only: ${other.stderr}`);

  // the receiver goes down: the next breach waits in the outbox and is redelivered when it is back
  await receiver.down();
  const mailsBefore = sink.messages.length;
  const pending = await waitFor('a breach message retried while the webhook is down', WAIT_MS, async () =>
    (await outboxFor(dataDir, 'hook')).find((m) => m.notification.kind === 'rpo.breach' && m.notification.status === 'raised' && m.state === 'pending' && m.attempts >= 2) ?? null);
  assert.match(pending.lastError ?? '', /fetch failed|ECONNREFUSED/);
  assert.ok(((await metric(daemon, metricsToken, 'haven_notify_outbox_messages{target="hook",state="pending"}')) ?? 0) >= 1);
  await waitFor('the mailbox is not held up by the dead webhook', WAIT_MS, async () => mail(sink, /CRITICAL: rpo\.breach web01/, mailsBefore));
  await receiver.up();
  const redelivered = await waitFor('the retried message arrives', WAIT_MS, async () =>
    receiver.received.find((h) => h.body.id === pending.notification.id)?.body ?? null);
  assert.equal(redelivered.state, 'BREACH');
  // the receiver has the body before the daemon has its answer: the record follows shortly after
  await waitFor('the redelivered message recorded as delivered', WAIT_MS, async () =>
    (await outboxFor(dataDir, 'hook')).find((m) => m.id === pending.id && m.state === 'delivered') ?? null);

  // down again: the resolution is pending when the daemon stops, and delivered after it restarts
  await receiver.down();
  await backup();
  const pendingResolution = await waitFor('the resolution pending in the outbox', WAIT_MS, async () =>
    (await outboxFor(dataDir, 'hook')).find((m) => m.notification.status === 'resolved' && m.state === 'pending' && m.attempts >= 1) ?? null);
  const calm = await havendCli(['plan', 'add', 'web01', '--rpo', '1h', '--data', dataDir]);
  assert.equal(calm.code, EXIT.ok, calm.stderr);
  assert.equal(await daemon.stop(), 0);
  await receiver.up();
  daemon = await startDaemon(t, { dataDir, env: DAEMON_ENV });
  const afterRestart = await waitFor('the pending resolution arrives after the restart', WAIT_MS, async () =>
    receiver.received.find((h) => h.body.id === pendingResolution.notification.id)?.body ?? null);
  assert.equal(afterRestart.kind, 'rpo.breach');
  assert.equal(afterRestart.state, 'OK');
  assert.equal(await planState(dataDir, 'web01'), 'OK');
  const entry = (await planList(dataDir)).entries[0];
  assert.equal(entry?.entry.rpo, '1h');
  assert.equal(entry?.entry.created, created, 'replacing the entry keeps its creation time');
  assert.equal(entry?.offsite.configured, false);
  assert.ok(receiver.received.every((h) => h.verified));
});

test('over HTTPS the enrolment pins the certificate, and the client logs in with the pin it printed', async (t) => {
  const dataDir = tempDir(t);
  const home = tempDir(t, 'haven-home-');
  const daemon = await startDaemon(t, { dataDir, listen: '0.0.0.0:0' });
  assert.ok(daemon.fingerprint, 'a wildcard listener serves HTTPS');
  assert.equal((await havendCli(['plan', 'add', 'laptop', '--rpo', '1d', '--data', dataDir])).code, EXIT.ok);
  const r = await havendCli(['plan', 'enroll', 'laptop', '--json', '--data', dataDir]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  const e = JSON.parse(r.stdout) as Enrolment;
  assert.equal(e.fingerprint, daemon.fingerprint);
  assert.match(e.server, /^https:\/\//);
  assert.ok(e.command.endsWith(` --token ${e.token} --fingerprint ${daemon.fingerprint}`), e.command);
  // the printed server is one of the machine's addresses; the test reaches the daemon on loopback only
  const env = { XDG_CONFIG_HOME: join(home, 'config'), HOME: home };
  const login = await haven(['login', daemon.url, '--token', e.token, '--fingerprint', e.fingerprint as string], { env, timeoutMs: 60_000 });
  assert.equal(login.code, 0, login.stderr);
  const pin = e.fingerprint as string;
  const otherPin = `${pin.startsWith('0') ? '1' : '0'}${pin.slice(1)}`;
  const wrongPin = await haven(['login', daemon.url, '--token', e.token, '--fingerprint', otherPin], { env, timeoutMs: 60_000 });
  assert.equal(wrongPin.code, 11, 'another certificate is refused');
});
