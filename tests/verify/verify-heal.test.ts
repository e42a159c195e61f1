// Verification end to end (issue 15) with a real havend and the real client: a backup, a byte
// flipped in a data record of a segment file on disk, `havend verify --wait --json` finds it
// (exit 1, the snapshot named), the object is quarantined and absent to `has`, the alert names
// the group; the next `haven backup` of the same, unchanged data (the files cache would skip
// it) is refused with OBJECTS_DAMAGED, re-reads its files and uploads the object anew; then
// verification is clean, the alert cleared, the first snapshot restores bit-exact, and
// `havend store check` after the daemon stops is clean with the old record counted as replaced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../client/src/api/api-client.js';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import type { DamagedSnapshot, VerifyRun, VerifyStatus } from '../../core/src/api/verify.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { damagePayload, firstDataRecord } from '../helpers/segment-damage.js';
import { settle } from '../helpers/settle.js';
import { tempDir } from '../helpers/tmp.js';

const FILES = 3;
const FILE_BYTES = 300_000;
const ENV = { HAVEND_VERIFY_CRON: '', HAVEND_GC_CRON: '', HAVEND_RETENTION_PRUNE_CRON: '', HAVEND_DATASTORE_DIRECT_IO: 'false' };

interface VerifyOutput {
  run: VerifyRun;
  damagedSnapshots: DamagedSnapshot[];
  quarantined: Array<{ digest: string }>;
  quarantinedCount: number;
}

function verify(dataDir: string, args: string[] = []): { code: number; out: VerifyOutput } {
  const r = havend(['verify', '--wait', '--json', '--data', dataDir, ...args]);
  try {
    return { code: r.code, out: JSON.parse(r.stdout) as VerifyOutput };
  } catch {
    throw new Error(`havend verify printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

test('a flipped byte is found, quarantined, named, and healed by the next backup of the same data', { timeout: 240_000 }, async (t) => {
  const w = await cliWorld(t, ENV);
  const admin = w.daemon.client(w.token);
  const work = tempDir(t);
  mkdirSync(join(work, 'data'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(work, 'data', `file-${i}`), seededBytes(FILE_BYTES, `verify-${i}`));
  // settled, so the next backup takes them from the files cache and its commit meets the damage
  await settle();
  const first = (await w.json<{ snapshot: { id: string } }>(['backup', '--group', 'web', 'data'], { cwd: work })).snapshot.id;

  // The commit queued a verification of the new snapshot: it reads its objects from disk.
  let status: VerifyStatus | null = null;
  for (let i = 0; i < 300 && !(status?.history.some((r) => r.kind === 'new-snapshots' && r.status === 'succeeded')); i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = await admin.json<VerifyStatus>('GET', '/api/v1/verify');
  }
  const afterCommit = status?.history.find((r) => r.kind === 'new-snapshots');
  assert.equal(afterCommit?.status, 'succeeded', JSON.stringify(status));
  assert.equal(afterCommit?.by, 'commit');
  assert.ok((afterCommit?.summary?.objects ?? 0) >= FILES + 1, JSON.stringify(afterCommit));
  assert.equal(status?.verifiedObjects, status?.indexedObjects, 'every object of the only snapshot has a verification on record');

  const plan = async (): Promise<{ state: string; newestSnapshot: string | null }> =>
    (await admin.json<{ entries: Array<{ group: string; state: string; newestSnapshot: string | null }> }>('GET', '/api/v1/plan')).entries.find((e) => e.group === 'web') as { state: string; newestSnapshot: string | null };
  await admin.json('PUT', '/api/v1/plan/web', { rpo: '1d' });
  assert.equal((await plan()).state, 'OK');
  const clean = verify(w.dataDir);
  assert.equal(clean.code, EXIT.ok, JSON.stringify(clean.out));
  assert.deepEqual(clean.out.damagedSnapshots, []);

  // A byte of a data record's payload changes on disk.
  const datastore = join(w.dataDir, 'datastore');
  const victim = await firstDataRecord(datastore);
  damagePayload(victim);

  const found = verify(w.dataDir);
  assert.equal(found.code, EXIT.failure, JSON.stringify(found.out));
  assert.equal(found.out.run.status, 'succeeded');
  assert.equal(found.out.run.summary?.damagedObjects, 1);
  assert.deepEqual(found.out.damagedSnapshots.map((d) => [d.id, d.group, d.digests]), [[first, 'web', [victim.digest]]]);
  assert.deepEqual(found.out.quarantined.map((q) => q.digest), [victim.digest]);
  const alerts = (await admin.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts;
  const alert = alerts.find((a) => a.key === 'verify.damaged:web');
  assert.ok(alert && alert.severity === 'critical' && alert.message.includes(first.slice(0, 12)), JSON.stringify(alerts));

  // The RPO watch does not count a damaged snapshot: the group has no whole backup now.
  const rpo = await plan();
  assert.deepEqual([rpo.state, rpo.newestSnapshot], ['NEVER', null]);

  // Run again, nothing new is found and the snapshot stays named.
  const again = verify(w.dataDir, ['--group', 'web']);
  assert.equal(again.code, EXIT.failure);
  assert.equal(again.out.run.summary?.damagedObjects, 0);
  assert.deepEqual(again.out.damagedSnapshots.map((d) => d.id), [first]);

  // The next backup of the unchanged files heals it: refused once, every file read again.
  const healRun = await w.run(['backup', '--group', 'web', 'data', '--json'], { cwd: work });
  assert.equal(healRun.code, 0, `${healRun.stdout}\n${healRun.stderr}`);
  const healed = JSON.parse(healRun.stdout) as { snapshot: { id: string; stats: Record<string, number> }; warnings: string[]; healed: string[] };
  assert.deepEqual(healed.healed, [victim.digest]);
  assert.deepEqual(healed.warnings, []);
  assert.equal(healed.snapshot.stats.filesRead, FILES, 'the retry read every file, the files cache notwithstanding');
  const afterHeal = await admin.json<VerifyStatus>('GET', '/api/v1/verify');
  assert.equal(afterHeal.quarantinedCount, 0, 'the append that indexed the new record lifted the quarantine');

  const whole = verify(w.dataDir);
  assert.equal((await plan()).state, 'OK');
  assert.equal(whole.code, EXIT.ok, JSON.stringify(whole.out));
  assert.deepEqual(whole.out.damagedSnapshots, []);
  const open = (await admin.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts;
  assert.equal(open.find((a) => a.key === 'verify.damaged:web'), undefined, 'the alert cleared');

  // The first snapshot reads the healed object from its new record: bit-exact.
  const target = tempDir(t);
  const restored = await w.run(['restore', first, '--target', target]);
  assert.equal(restored.code, 0, restored.stderr);
  for (let i = 0; i < FILES; i++) assert.ok(readFileSync(join(target, 'data', `file-${i}`)).equals(seededBytes(FILE_BYTES, `verify-${i}`)), `file-${i}`);

  const metrics = (await readAll(await admin.request('GET', '/metrics'))).toString('utf8');
  assert.match(metrics, /^haven_verify_damaged_snapshots 0$/m);
  assert.match(metrics, /^haven_verify_quarantined_objects 0$/m);
  assert.match(metrics, /^haven_verify_damaged_objects_total 1$/m);
  await w.daemon.stop();
  const check = havend(['store', 'check', '--data', w.dataDir, '--json']);
  assert.equal(check.code, EXIT.ok, check.stdout);
  const report = JSON.parse(check.stdout) as { ok: boolean; replacedRecords: number; problems: string[] };
  assert.equal(report.ok, true, JSON.stringify(report.problems));
  assert.equal(report.replacedRecords, 1);
});
