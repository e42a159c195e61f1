// The replication page in Chromium on a real offsite havend that follows a real source: the
// peer is added through the form, its row says it is up to date once the first snapshot
// arrived; paused, a new backup on the source waits in its queue and does not arrive,
// resumed it does, and the lag chart has readings; "Run now" starts a pull, a repair-only
// peer is listed as such without "Run now", its settings (rate limit, windows, deletion
// propagation) are edited in a form, a deletion on the source trips the brake and is resumed
// (then pending for its delay), a peer is removed after a confirmation, and when the source
// goes away the row shows the peer failing with its error. Screenshots at desktop and phone
// widths. Console errors and failed requests fail the test.

import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf } from '../helpers/daemon.js';
import { backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

test('replication page: a peer added, paused and resumed, run now, its settings, a source gone', { timeout: 240_000 }, async (t) => {
  if (!needChromium(t)) return;
  const pair = await replicationPair(t, 'web');
  const { source, offsite } = pair;
  const first = await backupSeededTree(source, 'web', tempDir(t), 2, 1 << 20);

  const b = await openBrowser(t, offsite.daemon.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(offsite.daemon.output()), 'replication page passphrase');
  await page.getByRole('link', { name: 'Replication' }).click();
  await page.getByRole('heading', { name: 'Replication' }).waitFor();

  // added through the form (the daemon asks the source first)
  await page.getByRole('button', { name: 'Add peer' }).click();
  const addForm = page.locator('form[aria-labelledby="peer-add-title"]');
  await addForm.getByLabel('Name').fill('primary');
  await addForm.getByLabel('Source URL').fill(source.daemon.url);
  await addForm.getByLabel('Replicate token').fill(readFileSync(pair.tokenFile, 'utf8').trim());
  await addForm.getByLabel('Lag alert after').fill('2h');
  await b.screenshots('replication-add');
  await addForm.getByRole('button', { name: 'Add peer' }).click();
  const row = page.locator('[data-peer="primary"]');
  await row.getByTestId('pulled').filter({ hasText: '1 snapshot(s)' }).waitFor({ timeout: 60_000 });
  await row.getByTestId('lag').filter({ hasText: 'up to date' }).waitFor();
  await row.getByText('follows').waitFor();
  await b.screenshots('replication-up-to-date');

  // paused: a new backup on the source waits in the queue (in flight at most: held before its objects)
  await row.getByRole('button', { name: 'Pause' }).click();
  await row.getByTestId('state').filter({ hasText: 'paused' }).waitFor();
  const second = await backupSeededTree(source, 'web', tempDir(t), 2, 1 << 20);
  const activity = page.locator('[data-peer-activity="primary"]');
  await activity.getByTestId('queue').getByText(second.slice(0, 12)).waitFor({ timeout: 30_000 });
  await activity.getByTestId('paused-note').waitFor();
  await b.screenshots('replication-paused');
  await new Promise((r) => setTimeout(r, 3_000));
  await row.getByTestId('pulled').filter({ hasText: '1 snapshot(s)' }).waitFor();
  await row.getByRole('button', { name: 'Resume' }).click();
  await row.getByTestId('pulled').filter({ hasText: '2 snapshot(s)' }).waitFor({ timeout: 60_000 });
  await activity.getByTestId('queue-empty').waitFor({ timeout: 30_000 });
  // a sample at each pull's end: the first pull's and the resumed one's at least
  await activity.getByRole('img', { name: /^Snapshots behind: ([2-9]|\d\d+) readings/ }).waitFor({ timeout: 30_000 });
  await b.screenshots('replication-activity');

  await row.getByRole('button', { name: 'Run now' }).click();
  await page.getByRole('status').filter({ hasText: 'Pull from primary started' }).waitFor();

  // a repair-only peer: listed as such, never pulled from (no lag, no "Run now")
  const repairOnly = await pair.havend(['peer', 'add', 'fixer', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--repair-only']);
  if (repairOnly.code !== 0) throw new Error(repairOnly.stderr);
  await page.reload();
  const fixer = page.locator('[data-peer="fixer"]');
  await fixer.getByTestId('mode').filter({ hasText: 'repair only' }).waitFor();
  if (await fixer.getByRole('button', { name: 'Run now' }).count() !== 0) throw new Error('a repair-only peer offers "Run now"');

  // the peer's settings (a bad window is a typed 400: tests/replication/pacing.test.ts)
  await row.getByRole('button', { name: 'Settings' }).click();
  const form = page.locator('form[aria-labelledby="peer-form-title"]');
  await form.getByLabel('Rate limit (MB/s)').fill('50');
  await form.getByLabel('Time windows, one per line').fill('00:00-24:00');
  await form.getByLabel('Propagate deletions after').fill('7d');
  await b.screenshots('replication-settings');
  await form.getByRole('button', { name: 'Save settings' }).click();
  await row.getByTestId('limits').filter({ hasText: '50 MB/s; 00:00-24:00' }).waitFor();
  await row.getByTestId('propagation').filter({ hasText: 'after 7d (brake 10%)' }).waitFor();
  const deletions = page.locator('[data-peer-deletions="primary"]');
  await deletions.getByText('No deletion pending.').waitFor();

  // one of the source's two snapshots deleted: 50% of the group at once trips the brake; resumed, it waits 7 days
  await source.daemon.client(createToken(source.dataDir, 'admin')).deleteSnapshot(first);
  await deletions.getByRole('alert').filter({ hasText: '1 of 2 replicated snapshot(s) of group web vanished at once' }).waitFor({ timeout: 60_000 });
  await deletions.getByText('held by the brake').waitFor();
  await row.getByTestId('propagation').filter({ hasText: 'paused' }).waitFor();
  await b.screenshots('replication-brake');
  await deletions.getByRole('button', { name: 'Resume deletions' }).click();
  await deletions.getByText(/^due /).waitFor();

  // removed after a confirmation (the repair-only peer; its row goes)
  page.once('dialog', (d) => void d.accept());
  await fixer.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('status').filter({ hasText: 'Peer fixer removed' }).waitFor();
  await fixer.waitFor({ state: 'detached' });

  await source.daemon.stop();
  await row.getByText('failing').waitFor({ timeout: 60_000 });
  await row.getByText('Cannot reach the Haven server', { exact: false }).waitFor();
  await b.screenshots('replication-failing');
  assertNoProblems(b);
});
