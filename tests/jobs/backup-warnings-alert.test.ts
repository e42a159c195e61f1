// The `backup.warnings:<group>` alert with a real havend: raised once a group's newest snapshot
// has been a backup that reported warnings for the delay (not when a clean one follows within
// it, as continuous protection's next snapshot does), kept acknowledged while the next ones warn too, resolved
// by a clean backup, raised again by a warning one and resolved by deleting it; judged again at
// start-up; and a webhook that asks for the kind is told.

import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import { createToken, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { waitFor } from '../helpers/pool-scenario.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const KEY = 'backup.warnings:nas';
const DELAY_S = 2;
const ENV = { HAVEND_JOBS_WARNINGS_ALERT_DELAY_SECONDS: String(DELAY_S) };

test('a group whose newest backup reported warnings has an open alert until a clean one, or its deletion', { timeout: 60_000 }, async (t) => {
  const dataDir = tempDir(t);
  const receiver = await startWebhookReceiver(t, 'warnings secret');
  let d = await startDaemon(t, { dataDir, env: ENV });
  let admin = d.client(createToken(dataDir, 'admin'));
  await admin.json('PUT', '/api/v1/notify/targets/ops', { channel: { kind: 'webhook', url: receiver.url }, rule: { kinds: ['backup.*'] } });
  const open = async (): Promise<AlertInfo | null> => (await admin.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts.find((a) => a.key === KEY) ?? null;
  const warned = (n: number, seed: number) => pushBackup(admin, 'nas', sampleBackup(2, 1000 + seed), {
    stats: { warnings: n }, warnings: Array.from({ length: n }, (_, i) => `/srv/f${i}: EACCES permission denied`),
  });

  // warnings made good by the next backup within the delay raise nothing
  await warned(1, 0);
  await pushBackup(admin, 'nas', sampleBackup(2, 999));
  await sleep(DELAY_S * 1000 + 1000);
  assert.equal(await open(), null);
  assert.deepEqual(receiver.received.filter((h) => h.body.kind === 'backup.warnings'), [], 'nobody was told');

  const first = await warned(2, 1);
  const raisedAt = Date.now();
  assert.equal(await open(), null, 'not at once');
  const alert = await waitFor('the alert', 10_000, open);
  assert.ok(Date.now() - raisedAt >= DELAY_S * 1000 - 500, 'after the delay');
  assert.equal(alert.severity, 'warning');
  assert.equal(alert.group, 'nas');
  assert.match(alert.message, new RegExp(`snapshot ${first.snapshot.id.slice(0, 12)} .* reported 2 warnings`));
  const hook = await waitFor('the webhook', 10_000, async () => receiver.received.find((h) => h.body.kind === 'backup.warnings')?.body ?? null);
  assert.equal(hook.status, 'raised');

  // acknowledged, it stays so while later backups warn (their counts carry no "worse")
  await admin.json('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { note: 'the share is being fixed' });
  await warned(5, 2);
  const still = await waitFor('the message of the newest', 10_000, async () => ((await open())?.message.includes('reported 5 warnings') ? await open() : null));
  assert.notEqual(still.acknowledged, null);
  assert.equal(still.id, alert.id);

  // a clean backup resolves it; a warning one raises it again; deleting that one resolves it
  await pushBackup(admin, 'nas', sampleBackup(2, 1003));
  await waitFor('resolved by a clean backup', 5000, async () => ((await open()) === null ? true : null));
  const again = await warned(1, 4);
  const reopened = await waitFor('raised again', 10_000, open);
  assert.notEqual(reopened.id, alert.id);
  assert.match(reopened.message, /reported 1 warning,/);
  const deleted = await admin.request('DELETE', `/api/v1/snapshots/${again.snapshot.id}`);
  assert.equal(deleted.statusCode, 204);
  deleted.resume();
  await waitFor('resolved by deleting the snapshot that raised it', 5000, async () => ((await open()) === null ? true : null));

  // at start-up the newest snapshots are judged again
  await warned(3, 5);
  await waitFor('raised', 10_000, open);
  await d.stop();
  d = await startDaemon(t, { dataDir, env: ENV });
  admin = d.client(createToken(dataDir, 'admin'));
  assert.match((await open())?.message ?? '', /reported 3 warnings/, 'still open after a restart');
  await pushBackup(admin, 'nas', sampleBackup(2, 1006));
  await waitFor('resolved', 5000, async () => ((await open()) === null ? true : null));
});
