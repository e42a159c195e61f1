// The admin UI in Debian's Chromium against a real havend holding real data: first-run
// setup, sign out and in, a snapshot pushed meanwhile appearing live on the dashboard,
// browsing and downloading (a file and a folder as tar, compared byte for byte), tokens
// created once and revoked, a disk whose SMART turns failing (a real capture swapped into
// the replay directory havend reads instead of smartctl) showing live with its reason,
// every page at desktop and phone widths. Any console error or failed request fails the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { haven } from '../helpers/haven-cli.js';
import { realData } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

const PASSWORD = 'a long passphrase for the test';
const CAPTURES = fileURLToPath(new URL('../../../../shared/fixtures/smart/', import.meta.url));
const LIVE_DEADLINE_MS = 2000;

test('admin UI end to end in Chromium', { timeout: 180_000 }, async (t) => {
  if (!needChromium(t)) return;
  const dataDir = tempDir(t);
  // Disks: only replayed captures (independent of this machine's disks), read every second.
  const replay = tempDir(t, 'haven-replay-');
  copyFileSync(join(CAPTURES, 'ata-hdd-wd140edfz-healthy.json'), join(replay, 'bay1.json'));
  const d = await startDaemon(t, {
    dataDir,
    env: {
      HAVEND_DISKS_DISCOVERY: 'false', HAVEND_DISKS_SMART_REPLAY_DIR: replay,
      HAVEND_DISKS_SMART_POLL_SECONDS: '1', HAVEND_DISKS_HOTPLUG_POLL_MS: '200',
    },
  });
  const code = setupCodeOf(d.output());
  const b = await openBrowser(t, d.url);
  const { page } = b;

  await t.test('first-run setup creates the admin and signs in', async () => {
    await page.goto('/');
    await page.getByRole('heading', { name: 'Set up Haven' }).waitFor();
    await b.screenshots('setup');
    await createFirstAdmin(page, code, PASSWORD);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    await page.getByText('No backups yet').waitFor();
    await b.screenshots('dashboard-empty');
  });

  await t.test('sign out, then sign in with the password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Haven' }).waitFor();
    await b.screenshots('login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
  });

  // Real files: a multi-chunk binary made of the system's own files, text, a subfolder.
  const src = join(tempDir(t, 'haven-src-'), 'documents');
  const files: Record<string, Buffer> = {
    'big.bin': realData(3 * 1024 * 1024),
    'notes.txt': Buffer.from('Haven keeps these notes.\n'.repeat(500)),
    'sub/deep.txt': readFileSync('/etc/os-release'),
  };
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), bytes);
  }

  await t.test(`a snapshot pushed by the haven CLI appears on the dashboard within ${LIVE_DEADLINE_MS} ms, without reload`, async () => {
    await page.evaluate(() => Object.assign(globalThis, { hadNoReload: true }));
    const dedupBox = await page.getByTestId('dedup').boundingBox();
    const home = tempDir(t, 'haven-home-');
    const env = {
      HAVEN_SERVER: d.url, HAVEN_TOKEN: createToken(dataDir, 'backup:laptop'), HAVEN_CACHE_DIR: join(home, 'cache'),
      XDG_CONFIG_HOME: join(home, 'config'), HOME: home,
    };
    const r = await haven(['backup', basename(src), '--group', 'laptop', '--host', 'ana-laptop'], { env, cwd: dirname(src) });
    assert.equal(r.code, 0, r.stderr);
    // measured from the CLI's exit, which comes after the commit: the deadline is if anything tighter
    const t0 = Date.now();
    await page.locator('[data-group="laptop"]').waitFor({ timeout: LIVE_DEADLINE_MS });
    const elapsed = Date.now() - t0;
    t.diagnostic(`snapshot visible ${elapsed} ms after commit`);
    assert.equal(await page.evaluate(() => 'hadNoReload' in globalThis), true, 'the page was not reloaded');
    assert.equal(await page.locator('[data-group="laptop"] [data-testid="age"]').textContent(), 'just now');
    // the dedup ratio follows once the snapshot's size is measured, and its card keeps its size
    await page.getByTestId('dedup-ratio').filter({ hasText: '×' }).waitFor();
    assert.deepEqual(await page.getByTestId('dedup').boundingBox(), dedupBox, 'live data does not move the layout');
    await b.screenshots('dashboard');
  });

  await t.test('browse the snapshot and download a file: same bytes as the original', async () => {
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    await page.getByRole('list', { name: 'Backup groups' }).waitFor();
    await b.screenshots('backups');
    await page.getByRole('link', { name: 'laptop' }).click();
    await page.locator('[data-snapshot]').waitFor();
    // what the backup covered, from the snapshot's counters (between 1 and 10 MiB: two decimals)
    const bytes = Object.values(files).reduce((n, f) => n + f.length, 0);
    assert.equal(await page.getByTestId('snapshot-files').textContent(), String(Object.keys(files).length));
    assert.equal(await page.getByTestId('snapshot-size').textContent(), `${(bytes / 1048576).toFixed(2)} MiB`);
    assert.equal(await page.getByTestId('snapshot-warnings').count(), 0, 'a clean backup has no warnings mark');
    await b.screenshots('backups-snapshots');
    // found by name across the group's snapshots, and downloaded from the result
    await page.getByLabel('Name or path pattern').fill('deep.*');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    assert.equal(await page.getByTestId('find-summary').textContent(), '1 match in 1 of 1 snapshot(s).');
    const [found] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download documents\/sub\/deep\.txt from / }).click()]);
    assert.ok(readFileSync(await found.path()).equals(files['sub/deep.txt'] as Buffer), 'the found file downloads as it was');
    await b.screenshots('backups-find');
    await page.getByRole('link', { name: 'Browse' }).click();
    await page.getByRole('link', { name: 'documents/' }).click();
    await page.locator('[data-entry="big.bin"]').waitFor();
    await b.screenshots('backups-browse');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download big.bin' }).click()]);
    const got = readFileSync(await download.path());
    assert.ok(got.equals(files['big.bin'] as Buffer), 'downloaded file matches the original');
    assert.equal(download.suggestedFilename(), 'big.bin');
  });

  await t.test('download the folder as tar: every file matches', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download folder (.tar)' }).click()]);
    const out = tempDir(t, 'haven-untar-');
    execFileSync('tar', ['-xf', await download.path(), '-C', out]);
    for (const [name, bytes] of Object.entries(files)) {
      assert.ok(readFileSync(join(out, 'documents', name)).equals(bytes), name);
    }
  });

  await t.test('a snapshot whose backup reported warnings says how many in the list, and its page names them', async () => {
    // a directory nested deeper than the appliance takes: skipped with a warning, the rest kept
    const work = tempDir(t, 'haven-deep-');
    let dir = join(work, 'deep');
    for (let depth = 1; depth <= 1026; depth++) dir = join(dir, 'd');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(work, 'deep', 'kept.txt'), 'kept');
    const home = tempDir(t, 'haven-home-');
    const env = { HAVEN_SERVER: d.url, HAVEN_TOKEN: createToken(dataDir, 'backup:deep'), HAVEN_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config'), HOME: home };
    const r = await haven(['backup', 'deep', '--group', 'deep'], { env, cwd: work });
    assert.equal(r.code, 3, `done with a warning: ${r.stderr}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
    // the group's row says its newest backup warned; the clean group's does not
    const deepRow = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'deep', exact: true }) });
    await deepRow.getByTestId('group-warnings').waitFor();
    const laptopRow = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'laptop', exact: true }) });
    assert.equal(await laptopRow.getByTestId('group-warnings').count(), 0);
    await page.getByRole('link', { name: 'deep' }).click();
    const mark = page.getByTestId('snapshot-warnings');
    await mark.waitFor();
    assert.equal(await mark.textContent(), '⚠ 1 warning');
    await b.screenshots('backups-warnings');
    // the appliance kept the warning itself, as the client printed it
    const printed = r.stdout.split('\n').find((l) => l.startsWith('warning: '))?.slice('warning: '.length);
    assert.ok(printed?.includes('nested deeper than'), r.stdout);
    await mark.click();
    const list = page.getByTestId('snapshot-warning-list');
    await list.waitFor();
    assert.equal(await list.getByRole('heading').textContent(), '⚠ 1 warning from this backup');
    assert.deepEqual(await list.getByRole('listitem').allTextContents(), [printed]);
    await b.screenshots('backups-warning-list');
  });

  await t.test('clients: a token is shown once, works, and stops working when revoked', async () => {
    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('heading', { name: 'Tokens' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('desk');
    await page.getByLabel('Group', { exact: true }).fill('desk');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token').textContent()) ?? '';
    assert.match(secret, /^hvn_[0-9a-f]{16}_/);
    await b.screenshots('clients-created');
    const status = async (): Promise<number> => (await fetch(`${d.url}/api/v1/groups`, { headers: { authorization: `Bearer ${secret}` } })).status;
    assert.equal(await status(), 200);
    await page.reload();
    await page.locator('[data-token="desk"]').waitFor();
    assert.equal(await page.getByTestId('new-token').count(), 0, 'the secret is never shown again');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke desk' }).click();
    await page.locator('[data-token="desk"]').waitFor({ state: 'detached' });
    assert.equal(await status(), 401);
    await b.screenshots('clients');
  });

  await t.test('a disk whose SMART turns failing shows up live with its reason; acknowledging it', async () => {
    await page.getByRole('link', { name: 'Disks' }).click();
    const row = page.locator('[data-disk]');
    await row.locator('[data-verdict="passed"]').waitFor();
    await b.screenshots('disks-healthy');
    // the real capture of a disk with 304 reallocated sectors takes the place of the healthy one
    copyFileSync(join(CAPTURES, 'ata-hdd-seagate-st3500418as-realloc304.json'), join(replay, 'bay1.json.tmp'));
    renameSync(join(replay, 'bay1.json.tmp'), join(replay, 'bay1.json'));
    const t0 = Date.now();
    await row.locator('[data-verdict="failing"]').waitFor({ timeout: 10_000 });
    t.diagnostic(`failing verdict shown ${Date.now() - t0} ms after the capture changed (SMART polled every 1 s)`);
    assert.match((await row.getByTestId('reason').textContent()) ?? '', /304 reallocated sectors/);
    await b.screenshots('disks');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.locator('[data-alert^="disk.smart:"]').waitFor();
    assert.match((await page.getByTestId('alerts').textContent()) ?? '', /Failing: plan to replace this disk now/);
    await b.screenshots('dashboard-alert');
    await page.locator('[data-alert^="disk.smart:"]').getByRole('button', { name: 'Acknowledge…' }).click();
    await page.getByLabel('Note').fill('replacement ordered');
    await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await page.getByText('“replacement ordered”').waitFor();
    await page.locator('[data-disk] a').first().click();
    await page.getByTestId('reasons').getByText(/304 reallocated sectors/).waitFor();
    await page.getByTestId('smart-attributes').waitFor();
    await page.getByText('(acknowledged)').first().waitFor();
    await b.screenshots('disk-detail');
  });

  await t.test('every page renders at desktop and phone widths; keyboard reaches the content', async () => {
    for (const [path, heading] of [
      ['/pool', 'Pool'], ['/swap', 'Disk swap'], ['/tasks', 'Tasks'], ['/settings', 'Settings'], ['/nowhere', 'Not found'],
    ] as const) {
      await page.goto(path);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await b.screenshots(path.slice(1));
    }
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Skip to content');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator('main :focus').count(), 1, 'after skipping, Tab moves into the content');
    // on a phone the menu folds away and opens from its button
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
  });

  assertNoProblems(b);
});
