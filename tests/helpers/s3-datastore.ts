// A havend whose datastore is on the Ceph lab's gateway (tests/helpers/ceph.ts): its settings as
// HAVEND_* variables, and what its upload queue and cache say (GET /api/v1/datastore).

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ObjectStorageStatus, DatastoreUsage } from '../../core/src/api/datastore.js';
import { runBounded, type BoundedResult } from './bounded-run.js';
import type { CephLab } from './ceph.js';
import { S3Bucket } from '../../daemon/src/store/s3/s3-bucket.js';
import { HAVEND, type Daemon } from './daemon.js';
import { cliWorld, type CliWorld } from './haven-cli.js';

const MiB = 1 << 20;

/**
 * The daemon's settings for a datastore in `bucket` on the lab: 1 MiB segments sealed after
 * one idle second, and a cache of `cacheBytes` (small by default, so reads of anything but the
 * newest data are ranged GETs).
 */
export function s3DaemonEnv(lab: CephLab, bucket: string, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    HAVEND_DATASTORE_BACKEND: 's3',
    HAVEND_DATASTORE_S3_ENDPOINT: lab.endpoint,
    HAVEND_DATASTORE_S3_BUCKET: bucket,
    HAVEND_DATASTORE_S3_PREFIX: 'appliance-1/',
    HAVEND_DATASTORE_S3_CREDENTIALS_FILE: lab.credentialsFile,
    HAVEND_DATASTORE_S3_CACHE_BYTES: String(2 * MiB),
    HAVEND_DATASTORE_S3_IDLE_SEAL_SECONDS: '1',
    HAVEND_DATASTORE_S3_REQUEST_TIMEOUT_MS: '20000',
    HAVEND_DATASTORE_SEGMENT_MAX_BYTES: String(MiB),
    HAVEND_DATASTORE_DIRECT_IO: 'false',
    ...over,
  };
}

export async function objectStorageOf(daemon: Daemon, token: string): Promise<ObjectStorageStatus> {
  const usage = await daemon.client(token).json<DatastoreUsage>('GET', '/api/v1/datastore');
  if (usage.objectStorage === null) throw new Error('the datastore is not on S3');
  return usage.objectStorage;
}

/** Waits (bounded) until everything written is in the bucket, open segment included (the idle seal). */
export async function allUploaded(daemon: Daemon, token: string, limitMs = 60_000): Promise<ObjectStorageStatus> {
  const until = Date.now() + limitMs;
  for (;;) {
    const s = await objectStorageOf(daemon, token);
    if (s.notUploadedBytes === 0) return s;
    if (Date.now() > until) throw new Error(`uploads did not drain within ${limitMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** This process's environment without the test runner's HAVEN_* and HAVEND_* settings. */
export function ownEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEN_') && !k.startsWith('HAVEND_')));
}

/** An offline `havend` command (store check, info, rebuild-index) with the datastore's S3 settings. */
export function havendOffline(args: string[], s3Env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<BoundedResult> {
  return runBounded(HAVEND, args, { env: { ...ownEnv(), ...s3Env }, timeoutMs });
}

/** `havend store check` on the stopped daemon's datastore (evicted segments fetched from the bucket): clean. */
export async function assertStoreCheckClean(dataDir: string, s3Env: NodeJS.ProcessEnv): Promise<void> {
  const check = await havendOffline(['store', 'check', '--data', dataDir], s3Env);
  assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
}

/** The daemon's bucket, as the test reaches it (the daemon's env: s3DaemonEnv). */
export function bucketOf(lab: CephLab, env: NodeJS.ProcessEnv): S3Bucket {
  return new S3Bucket({
    endpoint: lab.endpoint, bucket: env.HAVEND_DATASTORE_S3_BUCKET as string, prefix: env.HAVEND_DATASTORE_S3_PREFIX as string,
    region: 'us-east-1', credentialsFile: lab.credentialsFile, caFile: '', requestTimeoutMs: 30_000,
  });
}

/**
 * Creates the daemon's bucket before the daemon starts: a fresh gateway creates its data pools
 * with the first bucket, which can outlast the test helper's 20 s wait for the daemon's start.
 */
export async function createBucket(lab: CephLab, env: NodeJS.ProcessEnv): Promise<void> {
  const bucket = bucketOf(lab, env);
  try {
    await bucket.ensureBucket();
  } finally {
    bucket.close();
  }
}

let worlds = 0;

/** A real havend on the lab's gateway (a bucket of its own, a 3 MiB cache: smaller than a backup) and its client. */
export async function s3CliWorld(t: TestContext, lab: CephLab, over: NodeJS.ProcessEnv = {}): Promise<{ w: CliWorld; env: NodeJS.ProcessEnv }> {
  const env = s3DaemonEnv(lab, `haven-client-${process.pid}-${++worlds}`, { HAVEND_DATASTORE_S3_CACHE_BYTES: String(3 * MiB), ...over });
  await createBucket(lab, env);
  return { w: await cliWorld(t, env), env };
}

/** Before reads: everything is uploaded and the cache is within its bound (so reads of older data go to the bucket). */
export async function settledOnS3(w: CliWorld): Promise<void> {
  const s = await allUploaded(w.daemon, w.token);
  assert.ok(s.cachedBytes <= s.cacheBytes, `cache within its bound: ${s.cachedBytes} of ${s.cacheBytes}`);
}
