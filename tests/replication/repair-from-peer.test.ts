// Repair from the peer (issues 14 and 15) with two real havend on 127.0.0.1: three backups on
// the source, pulled to the offsite. Then, each through the real havend CLI over the control
// socket:
// - a byte flipped in a data record of a segment on the source: `havend store check` names
//   it, `havend store repair --from-peer offsite` (a repair-only peer holding a replicate token
//   of the offsite) writes it anew, the check is clean with the old record counted as
//   replaced, and the newest snapshot restores bit-exact;
// - the reverse: flipped on the offsite, repaired from the source it pulls;
// - verification on the offsite finds a flipped byte and repairs it from its peer on its own;
// - an object missing from the source's index (its entry lost): named by the check, fetched;
// - one object flipped on both sides, another on the source only: the second is repaired, the
//   first is "not available", exit 1, nothing bad indexed.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AlertInfo, TaskInfo } from '../../core/src/api/jobs.js';
import type { RepairReport } from '../../core/src/api/repair.js';
import type { PeerList } from '../../core/src/api/replication.js';
import type { VerifyStatus } from '../../core/src/api/verify.js';
import type { HavenError } from '../../core/src/errors.js';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { readIdentity } from '../../daemon/src/store/identity.js';
import { openObjectIndex } from '../../daemon/src/store/object-index.js';
import { listSegments, segmentPath } from '../../daemon/src/store/segment-files.js';
import { scanSegment } from '../../daemon/src/store/segment-scanner.js';
import { runBounded, type BoundedResult } from '../helpers/bounded-run.js';
import { HAVEND, createToken, havend } from '../helpers/daemon.js';
import { seededBytes } from '../helpers/real-data.js';
import { assertRestoresBitExact, replicationPair, type Side } from '../helpers/replication-pair.js';
import { damagePayload, type FoundRecord } from '../helpers/segment-damage.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'web';
const FILE_BYTES = 200_000;

/** Every data record in a datastore's segments, in storage order (damaged ones too: the scan steps over them). */
async function dataRecords(datastore: string): Promise<FoundRecord[]> {
  const out: FoundRecord[] = [];
  for (const id of listSegments(datastore)) {
    const path = segmentPath(datastore, id);
    for await (const r of scanSegment(path, 0, { resync: true })) {
      if (r.kind === 'record' && r.header.kind === ObjectKind.data) {
        out.push({ path, offset: r.offset, digest: toHex(r.header.digest), storedLength: r.header.storedLength });
      }
    }
  }
  return out;
}

async function recordOf(side: Side, digest: string): Promise<FoundRecord> {
  const all = await dataRecords(join(side.dataDir, 'datastore'));
  const found = all.filter((r) => r.digest === digest);
  assert.equal(found.length, 1, `one record of ${digest} among ${all.length}`);
  return found[0] as FoundRecord;
}

function on(side: Side, args: string[]): Promise<BoundedResult> {
  return runBounded(HAVEND, [...args, '--data', side.dataDir], { timeoutMs: 60_000, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEND_'))) });
}

function check(side: Side): { code: number; report: { ok: boolean; problems: string[]; replacedRecords: number } } {
  const r = havend(['store', 'check', '--data', side.dataDir, '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as { ok: boolean; problems: string[]; replacedRecords: number } };
}

async function repair(side: Side, peer: string): Promise<{ code: number | null; report: RepairReport }> {
  const r = await on(side, ['store', 'repair', '--from-peer', peer, '--json']);
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as RepairReport };
  } catch {
    throw new Error(`store repair printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** Waits until no verification task runs (the ones commits and pulls queue read what they wrote). */
async function verificationsDone(side: Side, admin: string): Promise<void> {
  const api = side.daemon.client(admin);
  for (let i = 0; i < 200; i++) {
    const { tasks } = await api.json<{ tasks: TaskInfo[] }>('GET', '/api/v1/tasks?kind=store.verify');
    if (tasks.every((t) => t.status !== 'running')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('verifications still running after 20 s');
}

test('damage on either side is repaired from the other; a copy damaged on both stays damaged', { timeout: 240_000 }, async (t) => {
  const pair = await replicationPair(t, GROUP, { env: { HAVEND_DATASTORE_DIRECT_IO: 'false' } });
  const { source, offsite } = pair;
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  // Three backups; the first files stay unchanged, so the newest snapshot reaches every object.
  let newest = '';
  for (let i = 0; i < 3; i++) {
    for (let f = 0; f < 3; f++) writeFileSync(join(src, `part-${i}-${f}.bin`), seededBytes(FILE_BYTES, `repair-${i}-${f}`));
    const r = await source.haven(['backup', '--group', GROUP, '--json', 'src'], { cwd: work });
    assert.equal(r.code, 0, r.stderr);
    newest = (JSON.parse(r.stdout) as { snapshot: { id: string } }).snapshot.id;
  }
  assert.equal((await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *'])).code, 0);
  const pulled = await pair.havend(['replicate', 'primary', '--wait']);
  assert.equal(pulled.code, 0, pulled.stderr);

  // The source registers its offsite as a repair-only peer, with a replicate token of the offsite.
  const offsiteToken = join(work, 'offsite.token');
  writeFileSync(offsiteToken, `${createToken(offsite.dataDir, 'replicate', 'source')}\n`, { mode: 0o600 });
  const added = await on(source, ['peer', 'add', 'offsite', '--url', offsite.daemon.url, '--token-file', offsiteToken, '--repair-only']);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /repair only/);
  const sourceAdmin = createToken(source.dataDir, 'admin');
  const offsiteAdmin = createToken(offsite.dataDir, 'admin');
  let sourceApi = source.daemon.client(sourceAdmin);
  const listed = await sourceApi.json<PeerList>('GET', '/api/v1/peers');
  assert.deepEqual(listed.peers.map((p) => [p.peer.name, p.peer.repairOnly, p.state, p.snapshotsPulled]), [['offsite', true, 'idle', 0]]);
  await assert.rejects(sourceApi.json('POST', '/api/v1/peers/offsite/replicate', {}), (err: HavenError) => err.code === 'PEER_REPAIR_ONLY');
  await assert.rejects(sourceApi.json('POST', '/api/v1/store/repair', { peer: 'nobody' }), (err: HavenError) => err.code === 'PEER_NOT_FOUND');
  const scheduled = { name: 'other', url: offsite.daemon.url, token: 'x', repairOnly: true, schedule: '0 0 1 1 *' };
  await assert.rejects(sourceApi.json('POST', '/api/v1/peers', scheduled), (err: HavenError) => err.code === 'VALIDATION_FAILED');
  await verificationsDone(source, sourceAdmin);
  await verificationsDone(offsite, offsiteAdmin);
  const records = await dataRecords(join(source.dataDir, 'datastore'));
  assert.ok(records.length >= 9, `${records.length} data records`);
  const [a, b, c, d, e, f] = records.map((r) => r.digest) as [string, string, string, string, string, string];

  // 1. The source's copy of A is damaged: the check names it, the offsite's copy repairs it.
  damagePayload(await recordOf(source, a));
  const damaged = check(source);
  assert.equal(damaged.code, EXIT.failure);
  assert.ok(damaged.report.problems.some((p) => p.includes(a)), JSON.stringify(damaged.report.problems));
  const fromOffsite = await repair(source, 'offsite');
  assert.equal(fromOffsite.code, EXIT.ok, JSON.stringify(fromOffsite.report));
  assert.deepEqual([fromOffsite.report.repaired, fromOffsite.report.unavailable, fromOffsite.report.stillDamaged], [[a], [], []]);
  assert.equal(fromOffsite.report.checked?.damagedObjects, 1);
  const repairedCheck = check(source);
  assert.equal(repairedCheck.code, EXIT.ok, JSON.stringify(repairedCheck.report.problems));
  assert.equal(repairedCheck.report.replacedRecords, 1, 'the damaged record is counted as replaced');
  await assertRestoresBitExact(source, newest, work);
  rmSync(join(work, `restored-${newest.slice(0, 8)}`), { recursive: true });
  const { tasks } = await sourceApi.json<{ tasks: TaskInfo[] }>('GET', '/api/v1/tasks?kind=store.repair');
  assert.ok(tasks.some((task) => task.log.some((l) => l.message === `repaired ${a} from peer offsite`)), JSON.stringify(tasks.map((task) => task.log)));

  // 2. The reverse: the offsite's copy of B is damaged and repaired from the source it pulls.
  damagePayload(await recordOf(offsite, b));
  const fromSource = await repair(offsite, 'primary');
  assert.equal(fromSource.code, EXIT.ok, JSON.stringify(fromSource.report));
  assert.deepEqual(fromSource.report.repaired, [b]);
  await assertRestoresBitExact(offsite, newest, work);

  // 3. Verification on the offsite finds C damaged and repairs it from its peer on its own; the
  // offsite checks clean after both repairs.
  damagePayload(await recordOf(offsite, c));
  const verified = await pair.havend(['verify', '--wait', '--json']);
  const out = JSON.parse(verified.stdout) as { run: { summary: { damagedObjects: number } }; damagedSnapshots: unknown[]; quarantinedCount: number };
  assert.equal(verified.code, EXIT.ok, verified.stdout);
  assert.deepEqual([out.run.summary.damagedObjects, out.damagedSnapshots, out.quarantinedCount], [1, [], 0]);
  const alerts = (await offsite.daemon.client(offsiteAdmin).json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts;
  const said = alerts.find((x) => x.key === 'store.repair:primary');
  assert.ok(said && said.severity === 'warning' && said.evidence.repaired === 1, JSON.stringify(alerts));
  assert.equal(alerts.find((x) => x.key === `verify.damaged:${GROUP}`), undefined);
  assert.equal(check(offsite).code, EXIT.ok);

  // 4. E's index entry lost on the source (the record stays): the check names E missing; the repair fetches it.
  await source.daemon.stop();
  const root = join(source.dataDir, 'datastore');
  const index = openObjectIndex(root, (readIdentity(root) as { id: string }).id);
  await index.objects.remove(Buffer.from(e, 'hex'));
  await index.close();
  await source.restart();
  sourceApi = source.daemon.client(sourceAdmin);
  const lost = check(source);
  assert.equal(lost.code, EXIT.failure);
  assert.ok(lost.report.problems.some((p) => p.includes(`object ${e} is missing`)), JSON.stringify(lost.report.problems));
  const refetched = await repair(source, 'offsite');
  assert.equal(refetched.code, EXIT.ok, JSON.stringify(refetched.report));
  assert.deepEqual([refetched.report.repaired, refetched.report.checked?.damagedObjects], [[e], 0]);

  // 5. D damaged on both sides, F on the source only: F repaired, D not available on the peer,
  // exit 1, nothing bad indexed (and the check names D alone: E came back whole).
  damagePayload(await recordOf(source, d));
  damagePayload(await recordOf(offsite, d));
  damagePayload(await recordOf(source, f));
  const neither = await repair(source, 'offsite');
  assert.equal(neither.code, EXIT.failure, JSON.stringify(neither.report));
  assert.deepEqual(neither.report.repaired, [f]);
  assert.deepEqual(neither.report.unavailable.map((u) => u.digest), [d]);
  assert.deepEqual(neither.report.stillDamaged, [d]);
  assert.ok(neither.report.damagedSnapshots.every((s) => s.group === GROUP), JSON.stringify(neither.report.damagedSnapshots));
  assert.ok(neither.report.damagedSnapshots.some((s) => s.id === newest), 'the newest snapshot reaches D');
  const status = await sourceApi.json<VerifyStatus>('GET', '/api/v1/verify');
  assert.deepEqual(status.quarantined.map((q) => q.digest), [d], 'still quarantined');
  const after = check(source);
  assert.equal(after.code, EXIT.failure);
  assert.ok(after.report.problems.every((p) => p.includes(d)), JSON.stringify(after.report.problems));
  assert.equal(after.report.replacedRecords, 2, 'the damaged records of A and F are replaced; no new record of D was indexed');
  const failed = (await sourceApi.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts.find((x) => x.key === 'store.repair:offsite');
  assert.equal(failed?.severity, 'critical');
});
