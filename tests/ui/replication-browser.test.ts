// The replication page in Chromium on a real offsite havend that follows a real source: the
// peer's row says it is up to date once the first snapshot arrived, "Run now" starts a pull,
// a repair-only peer is listed as such without "Run now", and when the source goes away the row shows the peer failing with its error. Screenshots at
// desktop and phone widths. Console errors and failed requests fail the test.

import { test } from 'node:test';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { setupCodeOf } from '../helpers/daemon.js';
import { backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

test('replication page: a following peer, run now, a source gone', { timeout: 180_000 }, async (t) => {
  if (!needChromium(t)) return;
  const pair = await replicationPair(t, 'web');
  const { source, offsite } = pair;
  await backupSeededTree(source, 'web', tempDir(t), 2, 1 << 20);
  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile]);
  if (add.code !== 0) throw new Error(add.stderr);

  const b = await openBrowser(t, offsite.daemon.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(offsite.daemon.output()), 'replication page passphrase');
  await page.getByRole('link', { name: 'Replication' }).click();
  await page.getByRole('heading', { name: 'Replication' }).waitFor();
  const row = page.locator('[data-peer="primary"]');
  await row.getByText('1 snapshot(s)', { exact: false }).waitFor({ timeout: 60_000 });
  await row.getByTestId('lag').filter({ hasText: 'up to date' }).waitFor();
  await row.getByText('follows').waitFor();
  await b.screenshots('replication-up-to-date');

  await row.getByRole('button', { name: 'Run now' }).click();
  await page.getByRole('status').filter({ hasText: 'Pull from primary started' }).waitFor();

  // a repair-only peer: listed as such, never pulled from (no lag, no "Run now")
  const repairOnly = await pair.havend(['peer', 'add', 'fixer', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--repair-only']);
  if (repairOnly.code !== 0) throw new Error(repairOnly.stderr);
  await page.reload();
  const fixer = page.locator('[data-peer="fixer"]');
  await fixer.getByTestId('mode').filter({ hasText: 'repair only' }).waitFor();
  if (await fixer.getByRole('button', { name: 'Run now' }).count() !== 0) throw new Error('a repair-only peer offers "Run now"');

  await source.daemon.stop();
  await row.getByText('failing').waitFor({ timeout: 60_000 });
  await row.getByText('Cannot reach the Haven server', { exact: false }).waitFor();
  await b.screenshots('replication-failing');
  assertNoProblems(b);
});
