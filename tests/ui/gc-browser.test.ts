// The dashboard's garbage collection card in Chromium against a real havend: two backups, the
// first deleted; "Run GC now" runs a collection whose run appears in the history (it
// condemns); the second, throttled while it compacts, shows its progress live over the
// WebSocket and then reclaims. Screenshots at desktop and phone widths. Console errors and
// failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GcStatus } from '../../core/src/api/gc.js';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;

test('dashboard GC card: run now, live progress, the history fills', { timeout: 180_000 }, async (t) => {
  if (!needChromium(t)) return;
  const dataDir = tempDir(t);
  const d = await startDaemon(t, {
    dataDir,
    env: {
      HAVEND_DISKS_DISCOVERY: 'false', HAVEND_GC_CRON: '', HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(MiB), HAVEND_DATASTORE_DIRECT_IO: 'false',
      HAVEND_GC_RATE_BYTES_PER_SECOND: String(MiB / 2), // compacting the deleted snapshot's ~3 MiB takes seconds
    },
  });
  const admin = d.client(createToken(dataDir, 'admin'));
  const gone = await pushBackup(admin, 'web', sampleBackup(6, 512 * 1024));
  await pushBackup(admin, 'web', sampleBackup(6, 512 * 1024));
  await admin.json('DELETE', `/api/v1/snapshots/${gone.snapshot.id}`);

  const b = await openBrowser(t, d.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(d.output()), 'gc card passphrase');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const card = page.getByTestId('gc');
  await card.getByText('Never run').waitFor();
  await card.getByText('On demand only').waitFor();
  await b.screenshots('gc-never-run');

  const rows = card.locator('[data-gc-run]');
  await card.getByRole('button', { name: 'Run GC now' }).click();
  await rows.first().waitFor({ timeout: 30_000 });
  assert.equal(await rows.count(), 1);
  await card.getByTestId('gc-last').filter({ hasText: 'Reclaimed 0 object(s)' }).waitFor();
  const condemned = (await admin.json<GcStatus>('GET', '/api/v1/gc')).condemnedObjects;
  assert.ok(condemned >= 7, `the first run condemned the deleted snapshot's objects (${condemned})`);
  await card.getByText(`${condemned} object(s),`).waitFor();
  await b.screenshots('gc-condemned');

  // the second run reclaims and compacts, throttled: its progress shows while it runs
  await card.getByRole('button', { name: 'Run GC now' }).click();
  await card.getByTestId('gc-now').getByText('Running since').waitFor();
  assert.equal(await card.getByRole('button', { name: 'Run GC now' }).isDisabled(), true, 'one run at a time');
  await b.screenshots('gc-running');
  await rows.nth(1).waitFor({ timeout: 60_000 });
  const history = (await admin.json<GcStatus>('GET', '/api/v1/gc')).history;
  const reclaimed = history[0]?.summary?.reclaimedObjects ?? 0;
  assert.ok(reclaimed >= 7, `the second run reclaimed ${reclaimed}`);
  await card.getByTestId('gc-last').filter({ hasText: `Reclaimed ${reclaimed} object(s)` }).waitFor();
  assert.equal(await rows.first().getAttribute('data-gc-run'), history[0]?.task, 'newest first');
  assert.match(await rows.first().innerText(), /succeeded/);
  await b.screenshots('gc-reclaimed');
  assertNoProblems(b);
});
