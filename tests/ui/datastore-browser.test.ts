// The dashboard's datastore card in Chromium against a real havend. With the datastore on a real
// Ceph RADOS Gateway (tests/helpers/ceph.ts): the card names the bucket; a backup made while the
// gateway is paused (SIGSTOP: its requests time out) shows the upload queue and the failure with
// its time; once the gateway answers again the queue drains to nothing on the open page (the live
// socket's datastore.usage, no reload) and the uploaded segments match the API's. On a plain
// directory datastore the card says so. Screenshots at desktop and phone widths; console errors
// and failed requests fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { DatastoreUsage } from '../../core/src/api/datastore.js';
import { assertNoProblems, createFirstAdmin, needChromium, openBrowser, type Browser } from '../helpers/browser.js';
import { describeOnCeph, type CephLab } from '../helpers/ceph.js';
import { createToken, setupCodeOf, startDaemon, type Daemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const PLAIN = { HAVEND_DISKS_DISCOVERY: 'false', HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(MiB), HAVEND_DATASTORE_DIRECT_IO: 'false' };

/**
 * The gateway creates its bucket pools with the first bucket, which on a loaded machine can take
 * longer than the daemon's start allows with the short request timeout this test needs; the
 * daemon then finds the bucket there.
 */
async function createBucket(lab: CephLab, bucket: string): Promise<void> {
  const s3 = new S3Client({
    endpoint: lab.endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: lab.accessKeyId, secretAccessKey: lab.secretAccessKey },
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(60_000) });
  } finally {
    s3.destroy();
  }
}

async function dashboardAs(t: Parameters<typeof openBrowser>[0], d: Daemon): Promise<Browser> {
  const b = await openBrowser(t, d.url);
  await b.page.goto('/');
  await createFirstAdmin(b.page, setupCodeOf(d.output()), 'datastore card passphrase');
  await b.page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  return b;
}

describeOnCeph('dashboard datastore card on S3 (Ceph RADOS Gateway)', (labOf) => {
  test('the bucket, the queue while the gateway is paused, the failure and its time, the queue drained live', { timeout: 180_000 }, async (t) => {
    if (!needChromium(t)) return;
    const dataDir = tempDir(t);
    const bucket = `haven-ui-${process.pid}`;
    await createBucket(labOf(), bucket);
    const d = await startDaemon(t, {
      dataDir,
      env: {
        ...PLAIN,
        HAVEND_DATASTORE_BACKEND: 's3',
        HAVEND_DATASTORE_S3_ENDPOINT: labOf().endpoint,
        HAVEND_DATASTORE_S3_BUCKET: bucket,
        HAVEND_DATASTORE_S3_PREFIX: 'appliance-1/',
        HAVEND_DATASTORE_S3_CREDENTIALS_FILE: labOf().credentialsFile,
        HAVEND_DATASTORE_S3_CACHE_BYTES: String(2 * MiB),
        HAVEND_DATASTORE_S3_IDLE_SEAL_SECONDS: '1',
        HAVEND_DATASTORE_S3_REQUEST_TIMEOUT_MS: '3000',
      },
    });
    const admin = d.client(createToken(dataDir, 'admin'));
    const b = await dashboardAs(t, d);
    const card = b.page.getByTestId('datastore');
    await card.getByTestId('datastore-bucket').filter({ hasText: bucket }).waitFor();
    const backend = card.getByTestId('datastore-backend');
    await backend.getByText('appliance-1/', { exact: true }).waitFor();
    await backend.getByText(labOf().endpoint, { exact: true }).waitFor();
    await card.getByTestId('datastore-not-uploaded').filter({ hasText: /^0 B$/ }).waitFor();
    await b.screenshots('datastore-s3-empty');

    // The gateway stops answering: the backup still completes, its sealed segments queue.
    labOf().pauseGateway();
    let paused = true;
    t.after(() => {
      if (paused) labOf().resumeGateway();
    });
    await pushBackup(admin, 'web', sampleBackup(6, 512 * 1024));
    await card.getByTestId('datastore-queue').filter({ hasText: /^[1-9]\d* sealed segment\(s\) queued/ }).waitFor({ timeout: 30_000 });
    await card.getByTestId('datastore-upload-error').waitFor({ timeout: 30_000 });
    const failedAt = await card.getByTestId('datastore-upload-error-at').innerText();
    assert.match(failedAt, /^at .*\d/, 'the failure comes with its time');
    assert.notEqual(await card.getByTestId('datastore-not-uploaded').innerText(), '0 B');
    const queued = (await admin.json<DatastoreUsage>('GET', '/api/v1/datastore')).objectStorage;
    assert.ok(queued !== null && queued.pendingSegments >= 1 && queued.lastError !== null && queued.lastErrorAt !== null, JSON.stringify(queued));
    await b.screenshots('datastore-s3-queued');

    // It answers again: the queue drains on the open page, the error goes.
    labOf().resumeGateway();
    paused = false;
    await card.getByTestId('datastore-not-uploaded').filter({ hasText: /^0 B$/ }).waitFor({ timeout: 90_000 });
    await card.getByTestId('datastore-upload-ok').waitFor({ timeout: 10_000 });
    const drained = (await admin.json<DatastoreUsage>('GET', '/api/v1/datastore')).objectStorage;
    assert.ok(drained !== null && drained.notUploadedBytes === 0 && drained.pendingSegments === 0, JSON.stringify(drained));
    assert.ok(drained.uploadedSegments >= 1 && drained.uploadedSegments >= queued.pendingSegments, `the queued segments went up (${drained.uploadedSegments})`);
    await card.getByTestId('datastore-uploaded').filter({ hasText: new RegExp(`^${drained.uploadedSegments} segment`) }).waitFor({ timeout: 10_000 });
    assert.ok(drained.cachedBytes <= drained.cacheBytes, 'the cache holds to its bound');
    await b.screenshots('datastore-s3-drained');
    assertNoProblems(b);
  });
});

test('dashboard datastore card on a directory datastore', { timeout: 120_000 }, async (t) => {
  if (!needChromium(t)) return;
  const d = await startDaemon(t, { dataDir: tempDir(t), env: PLAIN });
  const b = await dashboardAs(t, d);
  await b.page.getByTestId('datastore-backend').filter({ hasText: 'Local directory' }).waitFor();
  assert.equal(await b.page.getByTestId('datastore-bucket').count(), 0);
  await b.screenshots('datastore-directory');
  assertNoProblems(b);
});
