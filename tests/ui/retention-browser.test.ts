// The retention page in Chromium against a real havend: a group with three snapshots, keep-last 1
// typed into the form shows two "remove" in the live preview before anything is saved; saving,
// then "Prune now", leaves one snapshot in the group's list. Screenshots at desktop and phone
// widths. Console errors and failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

test('retention page: preview of an unsaved policy, save, prune now', { timeout: 120_000 }, async (t) => {
  if (!needChromium(t)) return;
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir, env: { HAVEND_DISKS_DISCOVERY: 'false' } });
  const api = d.client(createToken(dataDir, 'backup:web'));
  for (let i = 0; i < 3; i++) await pushBackup(api, 'web', sampleBackup(2, 3000));

  const b = await openBrowser(t, d.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(d.output()), 'retention page passphrase');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

  await page.goto('/backups/web');
  await page.locator('[data-snapshot]').first().waitFor();
  assert.equal(await page.locator('[data-snapshot]').count(), 3);
  await page.getByRole('link', { name: 'Retention' }).click();
  await page.getByRole('heading', { name: 'Retention of web' }).waitFor();
  await page.getByText('No policy: this group is never pruned').waitFor();
  await page.getByTestId('preview-summary').filter({ hasText: '3 kept, 0 would be removed' }).waitFor();
  await b.screenshots('retention-none');

  await page.getByLabel('Keep last').fill('1');
  // the preview follows the unsaved form
  await page.getByTestId('preview-summary').filter({ hasText: '1 kept, 2 would be removed' }).waitFor();
  assert.equal(await page.locator('[data-fate="remove"]').count(), 2);
  assert.equal(await page.locator('[data-fate="keep"]').count(), 1);
  assert.equal((await api.snapshots('web')).snapshots.length, 3, 'a preview deletes nothing');
  await b.screenshots('retention-preview');

  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByText('Policy saved.').waitFor();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Prune now' }).click();
  await page.getByTestId('prune-summary').filter({ hasText: 'Removed 2 snapshot(s)' }).waitFor({ timeout: 30_000 });
  await b.screenshots('retention-pruned');

  await page.getByRole('link', { name: 'web', exact: true }).click();
  await page.locator('[data-snapshot]').first().waitFor();
  await page.locator('[data-snapshot]').nth(1).waitFor({ state: 'detached' });
  assert.equal(await page.locator('[data-snapshot]').count(), 1, 'one snapshot is left');
  await b.screenshots('retention-after-prune');
  assertNoProblems(b);
});
