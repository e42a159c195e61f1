// The protection plan page in Chromium against a real havend (issue 15): a group that backs up
// without an entry shows as unplanned and is adopted; a new entry with a 3-second RPO shows its
// enrolment line, goes from "never backed up" to "RPO breached" live, and to OK when a backup
// of it commits; a webhook target is added in Settings and its test send is delivered to a
// receiver that checks the signature. Screenshots at desktop and phone widths; console errors
// and failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

test('plan page: adopt an unplanned group, add an entry, watch its state change; a test notification', { timeout: 120_000 }, async (t) => {
  if (!needChromium(t)) return;
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir, env: { HAVEND_DISKS_DISCOVERY: 'false', HAVEND_JOBS_RPO_CHECK_SECONDS: '1' } });
  await pushBackup(d.client(createToken(dataDir, 'backup:web')), 'web', sampleBackup(2, 3000));

  const b = await openBrowser(t, d.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(d.output()), 'plan page passphrase');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

  await page.getByRole('link', { name: 'Plan' }).first().click();
  await page.getByRole('heading', { name: 'Protection plan' }).waitFor();
  await page.getByText('Nothing is planned yet').waitFor();
  const unplanned = page.locator('[data-unplanned="web"]');
  await unplanned.waitFor();
  await b.screenshots('plan-empty');

  // adopt the group that already backs up: no enrolment needed, state OK at once
  await unplanned.getByRole('button', { name: 'Adopt' }).click();
  await page.getByRole('heading', { name: 'Adopt web' }).waitFor();
  await page.getByLabel('RPO').fill('1d');
  await page.getByLabel('Owner').fill('web team');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.locator('[data-plan-group="web"] [data-rpo-state="OK"]').waitFor();
  await unplanned.waitFor({ state: 'detached' });

  // a new group: the enrolment line, then NEVER -> BREACH as its 3 s RPO passes
  await page.getByRole('button', { name: 'Add a group' }).click();
  await page.getByRole('textbox', { name: 'Group', exact: true }).fill('db01');
  await page.getByLabel('RPO').fill('3s');
  await page.getByLabel('Schedule', { exact: true }).fill('0 2 * * *');
  await page.getByLabel('RTO').fill('4h');
  await page.getByLabel('Drill schedule').fill('never');
  await page.getByLabel('Client link (MB/s)').fill('fast');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.getByRole('alert').filter({ hasText: 'positive number of MB/s' }).waitFor();
  await page.getByLabel('Client link (MB/s)').fill('12.5');
  await page.getByRole('button', { name: 'Save entry' }).click();
  const command = await page.getByTestId('enrol-command').textContent();
  assert.match(command ?? '', new RegExp(`^haven login ${d.url.replace(/[.]/g, '\\.')} --token hvn_[0-9a-f]{16}_\\S+$`));
  await page.locator('[data-plan-group="db01"] [data-rpo-state="NEVER"]').waitFor();
  assert.equal(await page.locator('[data-plan-group="db01"] [data-testid="drill-schedule"]').textContent(), 'drills on demand only');
  assert.match(await page.locator('[data-plan-group="db01"]').textContent() ?? '', /RTO 4h, link 12\.5 MB\/s/);
  await b.screenshots('plan-enrol');
  await page.locator('[data-plan-group="db01"] [data-rpo-state="BREACH"]').waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Done' }).click();
  await b.screenshots('plan-breach');

  // the enrolment's token backs up db01: the state turns OK without a reload
  const token = /--token (\S+)/.exec(command ?? '')?.[1] as string;
  await pushBackup(d.client(token), 'db01', sampleBackup(3, 2000));
  await page.locator('[data-plan-group="db01"] [data-rpo-state="OK"]').waitFor({ timeout: 20_000 });
  await b.screenshots('plan-ok');

  // a webhook target and its test send
  const secretFile = join(tempDir(t, 'haven-secret-'), 'hook.secret');
  writeFileSync(secretFile, 'browser test secret\n');
  const receiver = await startWebhookReceiver(t, 'browser test secret');
  await page.getByRole('link', { name: 'Settings' }).first().click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('ops-hook');
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByLabel('Secret file').fill(secretFile);
  await page.getByRole('button', { name: 'Add target' }).click();
  const row = page.locator('[data-target="ops-hook"]');
  await row.waitFor();
  await row.getByRole('button', { name: 'Send test' }).click();
  await page.locator('[data-test-result="ops-hook"]').filter({ hasText: 'Test delivered' }).waitFor({ timeout: 20_000 });
  // Only the test send is this test's business: an alert raised meanwhile (a job overdue on a
  // loaded machine, say) may reach the new target too.
  const tests = receiver.received.filter((m) => m.body.kind === 'test');
  assert.equal(tests.length, 1);
  assert.equal(tests[0]?.verified, true, 'the test is signed with the secret file');
  await b.screenshots('settings-notifications');
  assertNoProblems(b);
});
