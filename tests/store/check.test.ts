// `havend store check` finds damage: a flipped byte in a segment is reported with the
// record it hit and the snapshot that depends on it, and the exit status says so; a read of
// the damaged object over the API answers with the typed error, and damage past the first
// span of an objects request cuts its stream short without harming the daemon.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { MEDIA_DIGESTS } from '../../core/src/api/wire-constants.js';
import { toHex } from '../../core/src/objects/digest.js';
import { FRAME_HEADER_BYTES } from '../../core/src/objects/frame.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { framesOf, sampleBackup } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';

/** A stopped daemon's data directory holding one snapshot of `files` files of one 50 000-byte record each. */
async function backedUp(t: TestContext, files: number) {
  const dataDir = tempDir(t);
  const d = await startDaemon(t, { dataDir });
  const api = d.client(createToken(dataDir, 'backup:g'));
  const b = sampleBackup(files, 50_000);
  const s = await api.startBackup({ group: 'g' });
  await api.uploadFrames(s.session, framesOf(b.objects));
  const snap = (await api.commit(s.session, { root: toHex(b.root.digest) })).snapshot;
  await d.stop();
  return { dataDir, b, snap };
}

test('store check reports a corrupted record and the snapshot it breaks', async (t) => {
  const { dataDir, b, snap } = await backedUp(t, 8);
  const clean = havend(['store', 'check', '--data', dataDir, '--json']);
  assert.equal(clean.code, 0, clean.stderr);
  const report = JSON.parse(clean.stdout) as { records: number; snapshots: number; reachableObjects: number; ok: boolean };
  assert.deepEqual([report.records, report.snapshots, report.reachableObjects, report.ok], [b.objects.length + 1, 1, b.objects.length, true]);

  // flip one byte in the payload of the third record (56-byte header + 50000-byte payloads)
  const seg = join(dataDir, 'datastore', 'segments', '000', '00000001.seg');
  const at = 2 * (56 + 50_000) + 56 + 1234;
  const fd = openSync(seg, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, at);
  byte[0] = (byte[0] as number) ^ 0xff;
  writeSync(fd, byte, 0, 1, at);
  closeSync(fd);

  // A restore asking for the damaged object gets the typed error, not a bare 500.
  const reader = await startDaemon(t, { dataDir });
  const res = await fetch(`${reader.url}/api/v1/snapshots/${snap.id}/objects`, {
    method: 'POST', body: (b.data[2] as { digest: Buffer }).digest,
    headers: { authorization: `Bearer ${createToken(dataDir, 'admin')}`, 'content-type': MEDIA_DIGESTS },
  });
  assert.equal(res.status, 500);
  const answer = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(answer.error.code, 'STORE_CORRUPT');
  assert.match(answer.error.message, /payload checksum mismatch/);
  await reader.stop();

  const bad = havend(['store', 'check', '--data', dataDir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /payload checksum mismatch/);
  assert.match(bad.stdout, new RegExp(`index entry ${toHex((b.data[2] as { digest: Buffer }).digest)} points at segment 1`));
  assert.match(bad.stdout, new RegExp(`snapshot ${snap.id} \\(g\\)`));
});

test('damage past the first span cuts the objects stream short; spans read ahead fail quietly and the daemon answers on', async (t) => {
  // 50 000-byte records: 0, 7 and 14 lie more than read-spans.ts's 256 KiB gap apart, so three spans
  const { dataDir, b, snap } = await backedUp(t, 15);

  const seg = join(dataDir, 'datastore', 'segments', '000', '00000001.seg');
  const fd = openSync(seg, 'r+');
  for (const record of [7, 14]) writeSync(fd, Buffer.from([0xaa, 0x55]), 0, 2, record * (56 + 50_000) + 56 + 100);
  closeSync(fd);

  const reader = await startDaemon(t, { dataDir });
  const admin = createToken(dataDir, 'admin');
  const ask = (records: number[]) => fetch(`${reader.url}/api/v1/snapshots/${snap.id}/objects`, {
    method: 'POST', body: Buffer.concat(records.map((i) => (b.data[i] as { digest: Buffer }).digest)),
    headers: { authorization: `Bearer ${admin}`, 'content-type': MEDIA_DIGESTS },
  });
  const intact = FRAME_HEADER_BYTES + 50_000; // one frame: header and stored bytes of record 0
  const cut = await ask([0, 7, 14]);
  assert.equal(cut.status, 200); // the first span is intact: the answer starts
  const got = await cut.arrayBuffer().then((body) => body.byteLength, () => -1);
  assert.ok(got < 3 * intact, `the stream was cut short (${got} bytes)`);
  const again = await ask([0]);
  assert.equal(again.status, 200);
  assert.equal((await again.arrayBuffer()).byteLength, intact);
  await reader.stop();
});
