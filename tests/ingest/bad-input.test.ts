// Hostile and broken input: each case gets a typed 4xx, and nothing wrong is committed or
// indexed. One daemon serves every case; the store is checked clean at the end.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SNAPSHOT_WARNINGS_KEPT, WARNING_MAX_CHARS } from '../../core/src/api/wire-constants.js';
import http from 'node:http';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HavenError } from '../../core/src/errors.js';
import { MEDIA_FRAMES } from '../../core/src/api/backup.js';
import { toHex } from '../../core/src/objects/digest.js';
import { encodeFrameHeader } from '../../core/src/objects/frame.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import type { ApiClient } from '../../client/src/api/api-client.js';
import { HAVEND, createToken, havend, startDaemon, type Daemon } from '../helpers/daemon.js';
import { frameOf, framesOf, makeObject, sampleBackup, type TestObject } from '../helpers/objects.js';

let dataDir: string;
let daemon: Daemon;
let admin: ApiClient;
let laptop: ApiClient;
let other: ApiClient;
let laptopToken: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'haven-bad-'));
  const adminToken = createToken(dataDir, 'admin');
  laptopToken = createToken(dataDir, 'backup:laptop');
  const otherToken = createToken(dataDir, 'backup:other');
  daemon = await startDaemon(null, { dataDir, env: { HAVEND_LIMITS_MAX_FRAME_BYTES: String(1024 * 1024) } });
  admin = daemon.client(adminToken);
  laptop = daemon.client(laptopToken);
  other = daemon.client(otherToken);
});

after(async () => {
  await daemon.stop();
  const check = havend(['store', 'check', '--data', dataDir]);
  rmSync(dataDir, { recursive: true, force: true });
  assert.equal(check.code, 0, `store check after the bad inputs:\n${check.stdout}${check.stderr}`);
});

async function rejects(p: Promise<unknown>, code: string, status: number): Promise<HavenError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HavenError, `expected a HavenError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** Which of the objects the datastore holds, asked through a fresh session. */
async function present(objects: TestObject[]): Promise<boolean[]> {
  const s = await laptop.startBackup({ group: 'laptop' });
  const bitmap = await laptop.has(s.session, Buffer.concat(objects.map((o) => o.digest)));
  await laptop.abort(s.session);
  return objects.map((_, i) => (((bitmap[i >> 3] as number) >> (i & 7)) & 1) === 1);
}

test('a frame whose content does not match its digest is refused; frames before it are kept', async () => {
  const good = [makeObject(ObjectKind.data, randomBytes(5000)), makeObject(ObjectKind.data, randomBytes(7000), false)];
  const liar = makeObject(ObjectKind.data, randomBytes(6000));
  liar.digest = makeObject(ObjectKind.data, randomBytes(6000)).digest; // claims someone else's content
  const s = await laptop.startBackup({ group: 'laptop' });
  await rejects(laptop.uploadFrames(s.session, framesOf([...good, liar])), 'DIGEST_MISMATCH', 422);
  assert.deepEqual(await present([...good, liar]), [true, true, false]);
  // a compressed frame whose digest lies is caught after decompression too
  const zliar = makeObject(ObjectKind.data, Buffer.alloc(50_000, 7), true);
  zliar.digest = Buffer.alloc(32, 1);
  await rejects(laptop.uploadFrames(s.session, framesOf([zliar])), 'DIGEST_MISMATCH', 422);
  assert.deepEqual(await present([zliar]), [false]);
});

test('a stream that ends inside a frame keeps the complete frames before it', async () => {
  const complete = [makeObject(ObjectKind.data, randomBytes(3000)), makeObject(ObjectKind.data, randomBytes(4000))];
  const torn = makeObject(ObjectKind.data, randomBytes(9000));
  const body = Buffer.concat([...complete.flatMap(frameOf), ...frameOf(torn)]).subarray(0, -100);
  const s = await laptop.startBackup({ group: 'laptop' });
  await rejects(laptop.request('POST', `/api/v1/backups/${s.session}/chunks`, body, MEDIA_FRAMES), 'FRAME_TORN', 400);
  // torn inside a header, too
  const headerCut = Buffer.concat([...frameOf(makeObject(ObjectKind.data, randomBytes(100)))]).subarray(0, 20);
  await rejects(laptop.request('POST', `/api/v1/backups/${s.session}/chunks`, headerCut, MEDIA_FRAMES), 'FRAME_TORN', 400);
  assert.deepEqual(await present([...complete, torn]), [true, true, false]);
  assert.equal((await laptop.snapshots('laptop')).snapshots.length, 0, 'no snapshot appeared');
});

test('a client that drops the connection mid-frame loses only that frame', async () => {
  const complete = [makeObject(ObjectKind.data, randomBytes(200_000)), makeObject(ObjectKind.data, randomBytes(300_000))];
  const torn = makeObject(ObjectKind.data, randomBytes(500_000));
  const s = await laptop.startBackup({ group: 'laptop' });
  const url = new URL(`/api/v1/backups/${s.session}/chunks`, daemon.url);
  const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${laptopToken}`, 'content-type': MEDIA_FRAMES } });
  req.on('error', () => undefined);
  for (const part of complete.flatMap(frameOf)) req.write(part);
  const tornFrame = Buffer.concat(frameOf(torn));
  req.write(tornFrame.subarray(0, tornFrame.length / 2));
  await new Promise((r) => setTimeout(r, 300));
  req.destroy();
  // the daemon finishes the complete frames on its own; poll until they are visible
  const deadline = Date.now() + 10_000;
  let seen: boolean[] = [];
  while (Date.now() < deadline) {
    seen = await present([...complete, torn]);
    if (seen[0] && seen[1]) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(seen, [true, true, false]);
});

test('oversized, unknown-kind and unknown-codec frames are refused before their payload is read', async () => {
  const s = await laptop.startBackup({ group: 'laptop' });
  const big = makeObject(ObjectKind.data, randomBytes(2 * 1024 * 1024)); // limit is 1 MiB here
  await rejects(laptop.uploadFrames(s.session, framesOf([big])), 'FRAME_TOO_LARGE', 413);
  const obj = makeObject(ObjectKind.data, randomBytes(1000));
  const header = (kind: number, codec: number): Buffer => {
    const h = encodeFrameHeader({ kind: ObjectKind.data, codec: Codec.none, rawLength: 1000, storedLength: 1000, digest: obj.digest });
    h[4] = kind;
    h[5] = codec;
    return h;
  };
  await rejects(laptop.request('POST', `/api/v1/backups/${s.session}/chunks`, Buffer.concat([header(99, 0), obj.stored]), MEDIA_FRAMES), 'UNKNOWN_KIND', 400);
  // clients may not upload snapshot records: the appliance writes those itself
  await rejects(laptop.request('POST', `/api/v1/backups/${s.session}/chunks`, Buffer.concat([header(ObjectKind.snapshot, 0), obj.stored]), MEDIA_FRAMES), 'UNKNOWN_KIND', 400);
  await rejects(laptop.request('POST', `/api/v1/backups/${s.session}/chunks`, Buffer.concat([header(1, 9), obj.stored]), MEDIA_FRAMES), 'UNKNOWN_CODEC', 400);
  const garbage = randomBytes(100);
  await rejects(laptop.request('POST', `/api/v1/backups/${s.session}/chunks`, garbage, MEDIA_FRAMES), 'FRAME_MALFORMED', 400);
  assert.deepEqual(await present([obj, big]), [false, false]);
});

test('a commit that references a missing object is refused and nothing is committed', async () => {
  const b = sampleBackup(5, 1000);
  const s = await laptop.startBackup({ group: 'laptop' });
  await laptop.uploadFrames(s.session, framesOf(b.objects.filter((o) => o !== b.data[2])));
  const err = await rejects(laptop.commit(s.session, { root: toHex(b.root.digest) }), 'MISSING_OBJECTS', 409);
  assert.deepEqual((err.details as { missing: string[] }).missing, [toHex((b.data[2] as TestObject).digest)]);
  assert.equal((await laptop.snapshots('laptop')).snapshots.length, 0);
  // the session stays open: upload what was missing and commit again
  await laptop.uploadFrames(s.session, framesOf([b.data[2] as TestObject]));
  const ok = await laptop.commit(s.session, { root: toHex(b.root.digest) });
  assert.equal((await laptop.snapshots('laptop')).snapshots.length, 1);
  // a root that is not a tree is refused as undecodable, not committed
  const s2 = await laptop.startBackup({ group: 'laptop' });
  await rejects(laptop.commit(s2.session, { root: toHex((b.data[0] as TestObject).digest) }), 'OBJECT_UNDECODABLE', 422);
  await laptop.abort(s2.session);
  assert.deepEqual((await laptop.snapshots('laptop')).snapshots.map((x) => x.id), [ok.snapshot.id]);
});

test('scopes: no token, wrong group, backup token deleting a snapshot', async () => {
  const res = await fetch(`${daemon.url}/api/v1/groups`);
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  const bad = await fetch(`${daemon.url}/api/v1/groups`, { headers: { authorization: 'Bearer hvn_0000000000000000_' + 'x'.repeat(43) } });
  assert.equal(bad.status, 401);
  await rejects(other.startBackup({ group: 'laptop' }), 'FORBIDDEN', 403);
  await rejects(other.snapshots('laptop'), 'FORBIDDEN', 403);
  const s = await laptop.startBackup({ group: 'laptop' });
  await rejects(other.has(s.session, Buffer.alloc(32)), 'FORBIDDEN', 403);
  await laptop.abort(s.session);
  const snap = (await laptop.snapshots('laptop')).snapshots[0];
  assert.ok(snap, 'a snapshot from the previous test');
  await rejects(other.snapshot(snap.id), 'FORBIDDEN', 403);
  await rejects(laptop.deleteSnapshot(snap.id), 'FORBIDDEN', 403);
  assert.equal((await other.groups()).groups.length, 0, 'groups of other scopes are not listed');
  await rejects(laptop.json('GET', '/api/v1/tokens'), 'FORBIDDEN', 403);
  // an admin may delete; a deleted snapshot is gone from listings
  await admin.deleteSnapshot(snap.id);
  await rejects(laptop.snapshot(snap.id), 'SNAPSHOT_NOT_FOUND', 404);
});

test('a committed or aborted session cannot be reused', async () => {
  const b = sampleBackup(2, 500);
  const s = await laptop.startBackup({ group: 'laptop' });
  await laptop.uploadFrames(s.session, framesOf(b.objects));
  await laptop.commit(s.session, { root: toHex(b.root.digest) });
  await rejects(laptop.commit(s.session, { root: toHex(b.root.digest) }), 'SESSION_CLOSED', 409);
  await rejects(laptop.has(s.session, b.root.digest), 'SESSION_CLOSED', 409);
  await rejects(laptop.uploadFrames(s.session, framesOf(b.objects)), 'SESSION_CLOSED', 409);
  const a = await laptop.startBackup({ group: 'laptop' });
  await laptop.abort(a.session);
  await rejects(laptop.uploadFrames(a.session, framesOf(b.objects)), 'SESSION_CLOSED', 409);
  await rejects(laptop.session('0'.repeat(32)), 'SESSION_NOT_FOUND', 404);
});

test('malformed requests get VALIDATION_FAILED or HAS_BATCH_INVALID', async () => {
  // schema validation runs before the group's scope is looked at
  await rejects(laptop.json('POST', '/api/v1/backups', { group: '../etc' }), 'VALIDATION_FAILED', 400);
  await rejects(admin.json('POST', '/api/v1/backups', { group: '../etc' }), 'VALIDATION_FAILED', 400);
  await rejects(admin.json('POST', '/api/v1/backups', { group: 'laptop', surprise: 1 }), 'VALIDATION_FAILED', 400);
  const s = await laptop.startBackup({ group: 'laptop' });
  await rejects(laptop.has(s.session, Buffer.alloc(33)), 'HAS_BATCH_INVALID', 400);
  await rejects(laptop.commit(s.session, { root: 'nothex' }), 'VALIDATION_FAILED', 400);
  // the warnings a snapshot keeps are bounded in number and length (the client cuts them to fit)
  assert.equal(s.limits.maxWarnings, SNAPSHOT_WARNINGS_KEPT);
  const root = '0'.repeat(64);
  await rejects(laptop.commit(s.session, { root, warnings: Array.from({ length: SNAPSHOT_WARNINGS_KEPT + 1 }, () => 'w') }), 'VALIDATION_FAILED', 400);
  await rejects(laptop.commit(s.session, { root, warnings: ['x'.repeat(WARNING_MAX_CHARS + 1)] }), 'VALIDATION_FAILED', 400);
  await laptop.abort(s.session);
});

test('a state directory that cannot be made is refused with a clear message, at once', async () => {
  // procfs answers mkdir with ENOENT under a parent that exists: Node's recursive mkdir spun on it forever
  const proc = spawn(HAVEND, ['serve', '--data', '/proc/1/haven-state', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  let err = '';
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const [code, signal] = (await once(proc, 'exit')) as [number | null, string | null];
  clearTimeout(killer);
  assert.deepEqual([code, signal], [1, null], err);
  assert.match(err, /Cannot use \/proc\/1\/haven-state as the state directory: ENOENT: .* \[STATE_DIR_UNUSABLE\]/);
});

test('a datastore from a newer format version is refused with a clear message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'haven-newer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const d = await startDaemon(null, { dataDir: dir });
  await d.stop();
  const identityPath = join(dir, 'datastore', 'haven-datastore.json');
  const identity = JSON.parse(readFileSync(identityPath, 'utf8')) as { version: number };
  writeFileSync(identityPath, JSON.stringify({ ...identity, version: identity.version + 1 }));
  const proc = spawn(HAVEND, ['serve', '--data', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const [code] = (await once(proc, 'exit')) as [number];
  assert.equal(code, 1);
  assert.match(err, /format version 2; this havend understands up to 1\. Upgrade Haven\. \[DATASTORE_TOO_NEW\]/);
  const check = havend(['store', 'check', '--data', dir]);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /DATASTORE_TOO_NEW/);
});
