// Issue 15's management pages in Chromium against a real havend with real pushed backups: the
// dashboard's 3-2-1 tile of a new plan entry with its three lights and reasons (two copies, one
// medium, no offsite token of the named offsite); a recovery drill run from the Plan page, its
// result and its history chart, and a drill that fails on a damaged chunk naming the file; the Jobs page with the schedules' next runs, and "Run now" on
// garbage collection producing a history row; a plan entry's own drill schedule as a job of its own. Screenshots at desktop and phone widths; console
// errors and failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ScheduledJobList } from '../../core/src/api/jobs.js';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser } from '../helpers/browser.js';
import { createToken, setupCodeOf, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { damagePayload, firstDataRecord } from '../helpers/segment-damage.js';
import { tempDir } from '../helpers/tmp.js';

test('3-2-1 tile, a drill from the plan page, the jobs page with run now and history', { timeout: 150_000 }, async (t) => {
  if (!needChromium(t)) return;
  const dataDir = tempDir(t);
  const d = await startDaemon(t, {
    dataDir, env: { HAVEND_DISKS_DISCOVERY: 'false', HAVEND_GC_CRON: '0 3 * * *', HAVEND_DRILL_CRON: '0 4 * * 0' },
  });
  await pushBackup(d.client(createToken(dataDir, 'backup:web')), 'web', sampleBackup(4, 5000));

  // the API first: every schedule with its next run; GC runs now through its own route, drills per entry
  const admin = d.client(createToken(dataDir, 'admin'));
  const { jobs } = await admin.json<ScheduledJobList>('GET', '/api/v1/jobs');
  const gc = jobs.find((j) => j.name === 'store.gc');
  assert.ok(gc?.nextRun !== null && gc?.nextRun !== undefined && Date.parse(gc.nextRun) > Date.now(), 'GC has a next run');
  assert.deepEqual(gc?.runNow, { method: 'POST', path: '/api/v1/gc', body: {} });
  assert.equal(jobs.find((j) => j.name === 'drill')?.runNow, null);
  assert.ok(jobs.some((j) => j.name === 'plan.rpo-check' && j.lastResult?.status === 'ok'), 'the RPO check ran at start');

  const b = await openBrowser(t, d.url);
  const { page } = b;
  await page.goto('/');
  await createFirstAdmin(page, setupCodeOf(d.output()), 'jobs page passphrase');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.getByTestId('three-two-one').getByText('No plan entry yet').waitFor();

  // a plan entry for the group, naming an offsite that has no replication token here
  await page.getByRole('link', { name: 'Plan' }).first().click();
  await page.locator('[data-unplanned="web"]').getByRole('button', { name: 'Adopt' }).click();
  await page.getByLabel('RPO').fill('1d');
  await page.getByLabel('RTO').fill('1h');
  await page.getByLabel('Offsite', { exact: true }).fill('vault');
  await page.getByRole('button', { name: 'Save entry' }).click();
  await page.locator('[data-plan-group="web"] [data-rpo-state="OK"]').waitFor();

  // the dashboard's tile: each light with its colour and reason
  await page.getByRole('link', { name: 'Dashboard' }).first().click();
  const tile = page.locator('[data-tile="web"]');
  await tile.waitFor();
  const light = (key: string) => tile.locator(`[data-light="${key}"]`);
  assert.equal(await light('copies').getAttribute('data-level'), 'amber');
  assert.match(await light('copies').innerText(), /2 copies: the client, this appliance; no offsite copy confirmed/);
  assert.equal(await light('media').getAttribute('data-level'), 'amber');
  assert.match(await light('media').innerText(), /one medium: the datastore is a plain directory/);
  assert.equal(await light('offsite').getAttribute('data-level'), 'red');
  assert.match(await light('offsite').innerText(), /no replication token named vault/);
  await b.screenshots('dashboard-3-2-1');

  // a drill from the plan page: running, then its result and the chart
  await page.getByRole('link', { name: 'Plan' }).first().click();
  await page.getByRole('button', { name: 'Drills of web' }).click();
  const panel = page.getByTestId('drill-panel');
  await panel.getByText('No drill of web yet.').waitFor();
  await panel.getByRole('button', { name: 'Run drill' }).click();
  await panel.locator('[data-testid="drill-result"][data-result="passed"]').waitFor({ timeout: 60_000 });
  assert.match(await panel.getByTestId('drill-compared').innerText(), /^[1-9]\d* file\(s\), /);
  assert.match(await panel.getByTestId('drill-rto').innerText(), /target 1\.0 h/);
  await panel.getByRole('img', { name: /RTO estimate: 1 readings/ }).waitFor();
  await page.locator('[data-plan-group="web"]').getByText(/drill estimate \d+ s/).waitFor();
  await b.screenshots('plan-drill');

  // a byte flipped in a file's only chunk: the next drill fails and names that file
  damagePayload(await firstDataRecord(join(dataDir, 'datastore')));
  await panel.getByRole('button', { name: 'Run drill' }).click();
  await panel.locator('[data-testid="drill-result"][data-result="failed"]').waitFor({ timeout: 60_000 });
  assert.match(await panel.getByTestId('drill-damaged').innerText(), /^\/?dir\/file-\d$/);
  await b.screenshots('plan-drill-failed');

  // the entry gets a drill schedule of its own: a job of its own on the Jobs page
  await admin.json('PUT', '/api/v1/plan/web', { rpo: '1d', rto: '1h', offsitePeer: 'vault', drillSchedule: '0 5 * * 6' });

  // the jobs page: next runs, and "Run now" on GC adds a history row
  await page.getByRole('link', { name: 'Jobs' }).first().click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  const gcRow = page.locator('[data-job="store.gc"]');
  assert.notEqual((await gcRow.getByTestId('next-run').innerText()).trim(), '—');
  // the drill job's last result is the newest drill's, the failed one run on demand
  assert.match(await page.locator('[data-job="drill"]').getByTestId('last-result').innerText(), /failed[\s\S]*damaged/);
  const ownDrill = page.locator('[data-job="drill:web"]');
  assert.match(await ownDrill.innerText(), /Recovery drill of web/);
  assert.notEqual((await ownDrill.getByTestId('next-run').innerText()).trim(), '—');
  assert.match(await ownDrill.getByTestId('last-result').innerText(), /failed/, 'its last result is the group\'s newest drill');
  const history = page.locator('[data-history="store.gc"]');
  await history.getByText('History').click();
  await history.getByText('No run yet.').waitFor();
  await gcRow.getByRole('button', { name: 'Run now' }).click();
  await history.locator('[data-history-task]').filter({ hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
  await gcRow.getByTestId('last-result').getByText('succeeded').waitFor();
  await b.screenshots('jobs');
  assertNoProblems(b);
});
