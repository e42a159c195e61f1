// SIGTERM while a client uploads and another commits: the daemon exits 0, the upload is
// answered SHUTTING_DOWN with its complete frames kept, the commit either happened whole or
// not at all, `havend store check` is clean, and both sessions finish after a restart.

import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../core/src/objects/digest.js';
import { isHavenError } from '../../client/src/api/api-client.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { frameOf, framesOf, sampleBackup, type TestObject } from '../helpers/objects.js';
import { tempDir } from '../helpers/tmp.js';

function present(bitmap: Buffer, i: number): boolean {
  return (((bitmap[i >> 3] as number) >> (i & 7)) & 1) === 1;
}

test('SIGTERM during an upload and a commit leaves no half-committed snapshot and a clean store', async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'backup:srv');
  // 64 KiB verification batches: every 200 KB frame is verified and stored on its own, so
  // the session's counters show how far the upload got before the signal.
  const env = { HAVEND_WORKERS_BATCH_BYTES: String(64 * 1024) };
  const d = await startDaemon(t, { dataDir, env });
  const api = d.client(token);

  // session 1: an upload that stalls after 8 of its 16 frames (a slow client)
  const slow = sampleBackup(16, 200_000);
  const s1 = await api.startBackup({ group: 'srv', paths: ['/slow'] });
  let release = (): void => undefined;
  const stalled = new Promise<void>((r) => (release = r));
  t.after(() => release());
  async function* slowFrames(objects: TestObject[]): AsyncGenerator<Buffer> {
    for (const o of objects.slice(0, 8)) yield* frameOf(o);
    await stalled; // the client never sends the rest while the daemon runs
  }
  const upload = api.uploadFrames(s1.session, slowFrames(slow.data)).then(
    () => null,
    (err: unknown) => err,
  );
  const end = Date.now() + 15_000;
  while ((await api.session(s1.session)).stats.framesReceived < 8) {
    assert.ok(Date.now() < end, 'the first 8 frames were not ingested within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }

  // session 2: everything uploaded, commit sent together with the signal
  const whole = sampleBackup(30, 20_000);
  const s2 = await api.startBackup({ group: 'srv', paths: ['/whole'] });
  await api.uploadFrames(s2.session, framesOf(whole.objects));
  const commit = api.commit(s2.session, { root: toHex(whole.root.digest) }).then(
    (r) => ({ ok: true as const, snapshot: r.snapshot.id }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  await new Promise((r) => setImmediate(r));

  // The signal alone (d.stop would first close this test's client connections).
  const started = Date.now();
  const exited = once(d.proc, 'exit');
  d.proc.kill('SIGTERM');
  const [status] = (await exited) as [number | null];
  assert.equal(status, 0, `exit status\n${d.output()}`);
  assert.ok(Date.now() - started < 8_000, 'shutdown ends without waiting out the 10 s grace for stuck connections');
  const uploadErr = await upload;
  assert.ok(isHavenError(uploadErr, "SHUTTING_DOWN"), `the stalled upload is told to retry: ${String(uploadErr)}\n${d.output()}`);
  const committed = await commit;
  release();

  const check = havend(['store', 'check', '--data', dataDir, '--json']);
  assert.equal(check.code, 0, `store check after SIGTERM:\n${check.stdout}${check.stderr}`);

  // after a restart: the commit is all there or not there; the slow session resumes
  const d2 = await startDaemon(t, { dataDir, env });
  const api2 = d2.client(token);
  const snapshots = (await api2.snapshots('srv')).snapshots;
  if (committed.ok) {
    assert.deepEqual(snapshots.map((s) => s.id), [committed.snapshot]);
  } else {
    assert.equal(snapshots.length, 0, `the commit failed (${String(committed.err)}) yet a snapshot exists`);
    assert.equal((await api2.session(s2.session)).state, 'open');
    await api2.commit(s2.session, { root: toHex(whole.root.digest) });
  }
  const resumed = await api2.session(s1.session);
  assert.equal(resumed.state, 'open', 'the interrupted session is resumable');
  const bitmap = await api2.has(s1.session, Buffer.concat(slow.objects.map((o) => o.digest)));
  slow.data.forEach((_, i) => assert.equal(present(bitmap, i), i < 8, `frame ${i} ${i < 8 ? 'was complete and must be kept' : 'was never sent'}`));
  await api2.uploadFrames(s1.session, framesOf(slow.objects.filter((_, i) => !present(bitmap, i))));
  await api2.commit(s1.session, { root: toHex(slow.root.digest) });
  assert.equal((await api2.snapshots('srv')).snapshots.length, 2);
  for (const s of (await api2.snapshots('srv')).snapshots) {
    const raw = await api2.object(s.id, s.root);
    assert.ok(raw.length > 0);
  }
  assert.equal(await d2.stop(), 0);
  assert.equal(havend(['store', 'check', '--data', dataDir]).code, 0);
});
