// The swap wizard walked to done in Chromium against a real btrfs raid1 on loop devices
// (root): a member turns SMART-failing (a real failing drive's capture replayed for it), the
// technician starts the swap from the page, confirms the old disk by the last characters of
// its serial, inserts a new disk (a new loop device) and confirms it, watches the rebuild,
// scrub and verification progress live, pulls the old disk (detached), and reads the results.
// Every step is its own screen; console errors and failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { setupCodeOf } from '../helpers/daemon.js';
import { codeOf, diskOf, poolStatus, poolWorld, waitFor, writeRealFiles } from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

const FAILING = fileURLToPath(new URL('../../../../shared/fixtures/smart/ata-hdd-seagate-st3500418as-realloc304.json', import.meta.url));

test('swap wizard: a failing member replaced step by step to done', { timeout: 300_000 }, async (t) => {
  if (!needRoot(t, 'the swap wizard test') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is needed') || !needChromium(t)) return;
  const captures = mkdtempSync(join(tmpdir(), 'haven-captures-'));
  t.after(() => rmSync(captures, { recursive: true, force: true }));
  const { lab, api, disks, created, daemon, client } = await poolWorld(t, 2, { HAVEND_DISKS_SMART_REPLAY_DIR: captures, HAVEND_DISKS_SMART_POLL_SECONDS: '1' });
  // real files backed up with the haven CLI, so the swap's verification has a snapshot to check
  writeRealFiles(join(lab.dir, 'src'), 4e6);
  await client.backup('src', 'files');
  const failing = await diskOf(api, disks[1] as (typeof disks)[number]);
  const devid = created.members.find((m) => m.diskId === failing.id)?.devid as number;
  copyFileSync(FAILING, join(captures, 'tmp'));
  renameSync(join(captures, 'tmp'), join(captures, `${failing.id}.json`));
  await waitFor('the member flagged', 15_000, async () => {
    const s = await poolStatus(api);
    return s.members.find((m) => m.devid === devid)?.flags.includes('smart-failing') ? s : null;
  });

  const code = setupCodeOf(daemon.output());
  const b = await openBrowser(t, daemon.url);
  const { page } = b;
  await page.goto('/swap');
  await createFirstAdmin(page, code, 'swap wizard passphrase');
  await page.getByRole('heading', { name: 'Disk swap' }).waitFor();
  await b.screenshots('swap-start');

  const screen = page.locator('.swap-screen');
  const atStep = (step: string, timeout = 60_000) => page.locator(`.swap-screen[data-step="${step}"]`).waitFor({ timeout });
  await page.locator(`[data-devid="${devid}"]`).getByRole('button', { name: 'Start swap' }).click();
  await atStep('locate', 10_000);
  await b.screenshots('swap-locate');
  await screen.getByLabel(/Last four characters/).fill(codeOf(failing));
  await screen.getByRole('button', { name: 'Confirm' }).click();

  await atStep('insert-new', 10_000);
  const fresh = lab.disk('c');
  const newDisk = await diskOf(api, fresh);
  // other loop devices on the machine may be offered too: pick the one inserted here
  const candidate = screen.locator(`input[type="radio"][value="${newDisk.id}"]`);
  await candidate.waitFor({ timeout: 15_000 });
  await b.screenshots('swap-insert-new');
  await candidate.check();
  await screen.getByLabel(/Last four characters/).fill(codeOf(newDisk));
  await screen.getByRole('button', { name: 'Confirm' }).click();

  // the appliance works: rebuild, scrub, verify, each shown live with its progress
  const seen = new Set<string>();
  const watcher = setInterval(() => {
    void screen.getAttribute('data-step').then((s) => s && seen.add(s), () => undefined);
  }, 100);
  t.after(() => clearInterval(watcher));
  await atStep('remove-old', 180_000);
  clearInterval(watcher);
  t.diagnostic(`screens seen while working: ${[...seen].join(', ')}`);
  assert.ok(seen.has('rebuilding') || seen.has('scrubbing') || seen.has('verifying'), 'the working steps were shown');
  await b.screenshots('swap-remove-old');
  lab.detach(disks[1] as (typeof disks)[number]); // the technician pulls the old disk

  await atStep('done', 30_000);
  assert.match((await page.getByTestId('results').textContent()) ?? '', /1 snapshots, \d+ records, 0 problems/);
  await b.screenshots('swap-done');
  const after = await poolStatus(api);
  assert.equal(after.health, 'healthy', after.summary);
  assert.deepEqual(after.members.map((m) => m.diskId).sort(), [created.members.find((m) => m.devid !== devid)?.diskId, newDisk.id].sort());
  assertNoProblems(b);
});
