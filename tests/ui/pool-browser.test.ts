// The Pool page in Chromium against a real btrfs raid1 pool on loop devices (root): members
// by slot with their disks, usage, health, and a scrub started from the page whose result
// arrives live. Console errors and failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf } from '../helpers/daemon.js';
import { PoolLab } from '../helpers/pool-lab.js';
import { POOL_TEST_ENV, createPoolWithCli, dataDirOf } from '../helpers/pool-scenario.js';
import { hasCommand, need, needRoot } from '../helpers/prereq.js';

test('pool page: a raid1 pool over loop disks, its members, and a scrub started from the page', { timeout: 180_000 }, async (t) => {
  if (!needRoot(t, 'the pool page test') || !need(t, hasCommand('mkfs.btrfs'), 'btrfs-progs is needed') || !needChromium(t)) return;
  const lab = new PoolLab(t);
  const dataDir = dataDirOf(lab);
  const token = createToken(dataDir, 'admin');
  const daemon = await lab.daemon({ dataDir, env: POOL_TEST_ENV });
  const api = daemon.client(token);
  const created = await createPoolWithCli(api, dataDir, 'raid1', [lab.disk('a'), lab.disk('b')]);
  assert.equal(created.health, 'healthy', created.summary);

  const code = setupCodeOf(daemon.output());
  const b = await openBrowser(t, daemon.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, code, 'pool page passphrase');
  await page.getByTestId('pool').locator('[data-pool-health="healthy"]').waitFor();

  await page.getByRole('link', { name: 'Pool', exact: true }).click();
  await page.getByRole('heading', { name: /btrfs raid1 pool/ }).waitFor();
  assert.equal(await page.locator('[data-devid]').count(), 2, 'both members are listed');
  await b.screenshots('pool-btrfs');

  const fact = (name: string) => page.locator('dl.facts dt', { hasText: name }).locator('xpath=following-sibling::dd[1]');
  const startedBefore = (await fact('Started').count()) > 0 ? await fact('Started').textContent() : null;
  await page.getByRole('button', { name: 'Start scrub' }).click();
  // the scrub runs as a task; the page rereads the pool when it ends
  await fact('Status').filter({ hasText: 'finished' }).waitFor({ timeout: 60_000 });
  assert.notEqual(await fact('Started').textContent(), startedBefore, 'a new scrub ran');
  await b.screenshots('pool-scrubbed');
  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.locator('[data-task^="pool."]').first().waitFor();
  await b.screenshots('tasks-scrub');
  assertNoProblems(b);
});
