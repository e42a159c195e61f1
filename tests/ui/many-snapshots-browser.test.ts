// A group of 600 snapshots a minute apart (continuous protection leaves tens of thousands) in
// Chromium against a real havend: its list draws the newest 200 and more on demand, and a prune
// of 597 of them while the page is open reloads the list a few times, not once per deletion
// (the page asked for the whole list again on every `snapshot.deleted` event). Console errors
// and failed requests fail the test.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PruneResponse } from '../../core/src/api/retention.js';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { commitSample, openDatastore } from '../helpers/datastore.js';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

const SNAPSHOTS = 600;
const T0 = Date.UTC(2026, 10, 1, 8);

test(`a group of ${SNAPSHOTS} snapshots: 200 rows drawn, more on demand, a prune reloads the list a few times`, { timeout: 180_000 }, async (t) => {
  if (!needChromium(t)) return;
  const dataDir = tempDir(t);
  const ds = await openDatastore(join(dataDir, 'datastore'));
  for (let i = 0; i < SNAPSHOTS; i++) await commitSample(ds, 'watch', T0 + i * 60_000);
  await ds.store.close();
  const d = await startDaemon(t, { dataDir, env: { HAVEND_DISKS_DISCOVERY: 'false' } });
  const admin = d.client(createToken(dataDir, 'admin'));

  const b = await openBrowser(t, d.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(d.output()), 'many snapshots passphrase');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

  await page.goto('/backups/watch');
  const rows = page.locator('[data-snapshot]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 200);
  await page.getByTestId('shown-count').filter({ hasText: 'Showing the newest 200 of 600 snapshots.' }).waitFor();
  await page.getByRole('button', { name: 'Show 400 more' }).click();
  await rows.nth(SNAPSHOTS - 1).waitFor();
  assert.equal(await rows.count(), SNAPSHOTS);

  let lists = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/groups/watch/snapshots') lists++;
  });
  const pruned = await admin.json<PruneResponse>('POST', '/api/v1/prune', { group: 'watch', policy: { keepLast: 3 } });
  assert.equal(pruned.summary.removed, SNAPSHOTS - 3);
  await rows.nth(3).waitFor({ state: 'detached', timeout: 30_000 });
  assert.equal(await rows.count(), 3);
  t.diagnostic(`list requests while ${SNAPSHOTS - 3} snapshots were deleted: ${lists}`);
  assert.ok(lists >= 1 && lists <= 20, `${lists} list requests`);
  await b.screenshots('many-snapshots-pruned');
  assertNoProblems(b);
});
