// SIGKILL havend while a garbage collection runs, with backups running beside it: kills
// aimed at the mark, the sweep (condemn and reclaim) and the compaction (a few each in
// `npm test`, at least 5 each and 20 in all with HAVEN_RELIABILITY=1: `npm run reliability`).
// After each kill: the store check of the killed state is clean, and after the restart every
// snapshot acknowledged and not deleted is listed and reads back bit-exact, deleted ones stay
// deleted. At the end, two undisturbed runs reclaim everything that is left.

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import type { TaskInfo } from '../../core/src/api/jobs.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { makeObject } from '../helpers/objects.js';
import { verifySnapshot } from '../helpers/readback.js';
import { tempDir } from '../helpers/tmp.js';
import { GC_TEST_ENV, followTask, mixedBackup, pushBackup, runGc, startGc } from './gc-daemon.js';

const RELIABILITY = process.env.HAVEN_RELIABILITY === '1';
const PER_PHASE = RELIABILITY ? 7 : 1;
const LATER = /sweeping|reclaiming|compacting/;
const PHASES = [
  // the scan and the mark, before the sweep says so
  { name: 'mark', reached: (t: TaskInfo) => !LATER.test(t.progressMessage ?? '') },
  { name: 'sweep', reached: (t: TaskInfo) => /sweeping|reclaiming/.test(t.progressMessage ?? '') },
  { name: 'compaction', reached: (t: TaskInfo) => /compacting/.test(t.progressMessage ?? '') },
] as const;

test(`SIGKILL during garbage collection with backups running: ${PER_PHASE} per phase (mark, sweep, compaction)`, { timeout: RELIABILITY ? 1_800_000 : 600_000 }, async (t) => {
  const dataDir = tempDir(t);
  const backupToken = createToken(dataDir, 'backup:gc');
  const adminToken = createToken(dataDir, 'admin');
  // compaction slowed so that a kill can land inside it
  const env = { ...GC_TEST_ENV, HAVEND_GC_RATE_BYTES_PER_SECOND: String(4 << 20) };
  const shared = Array.from({ length: 8 }, () => makeObject(ObjectKind.data, randomBytes(50_000)));
  const acknowledged = new Set<string>();
  const deleted = new Set<string>();
  const landed = new Map<string, number>(PHASES.map((p) => [p.name, 0]));
  let tag = 0;

  for (let round = 0; round < PER_PHASE * PHASES.length * 3; round++) {
    const phase = PHASES.find((p) => (landed.get(p.name) as number) < PER_PHASE);
    if (!phase) break;
    const d = await startDaemon(null, { dataDir, env });
    try {
      const api = d.client(backupToken);
      const admin = d.client(adminToken);
      const listed = new Set((await api.snapshots('gc').catch(() => ({ snapshots: [] }))).snapshots.map((s) => s.id));
      for (const id of acknowledged) {
        if (deleted.has(id)) assert.equal(listed.has(id), false, `deleted snapshot ${id} came back`);
        else assert.ok(listed.has(id), `round ${round}: acknowledged snapshot ${id} lost`);
      }
      for (const id of listed) await verifySnapshot(api, id);

      // Garbage for this round: a few backups, then all but the newest two deleted; one
      // undisturbed run condemns it, so the run to be killed has something to reclaim.
      for (let i = 0; i < 4; i++) acknowledged.add(await pushBackup(api, 'gc', mixedBackup(tag++, shared)));
      const live = [...acknowledged].filter((id) => !deleted.has(id));
      for (const id of live.slice(0, -2)) {
        await admin.deleteSnapshot(id);
        deleted.add(id);
      }
      await runGc(admin);

      // Backups keep running while the collection to be killed runs.
      let stop = false;
      const backups = (async () => {
        while (!stop) {
          try {
            acknowledged.add(await pushBackup(api, 'gc', mixedBackup(tag++, shared, 6)));
          } catch {
            return; // the daemon was killed under it
          }
        }
      })();
      const gc = await startGc(admin);
      let seen: TaskInfo;
      if (phase.name === 'mark') {
        // This store's mark lasts 10-100 ms, less than a request's round trip on a loaded
        // machine: a kill timed at random within it came after the mark in every round of a CI
        // run. The state is read at once and the kill follows that answer, as early in the mark
        // as a request allows.
        seen = await followTask(admin, gc.id, () => true);
      } else {
        seen = await followTask(admin, gc.id, phase.reached);
        await new Promise((r) => setTimeout(r, randomInt(0, 25)));
      }
      d.proc.kill('SIGKILL');
      stop = true;
      await backups;
      if (seen.status === 'running' && phase.reached(seen)) landed.set(phase.name, (landed.get(phase.name) as number) + 1);
    } finally {
      await d.stop('SIGKILL');
    }
    // the state the kill left, before any recovery
    const check = havend(['store', 'check', '--data', dataDir]);
    assert.equal(check.code, 0, `round ${round} (${phase.name}): ${check.stdout}${check.stderr}`);
  }
  for (const p of PHASES) assert.ok((landed.get(p.name) as number) >= PER_PHASE, `only ${landed.get(p.name)} kill(s) landed in ${p.name}`);

  const d = await startDaemon(null, { dataDir, env: GC_TEST_ENV });
  const api = d.client(backupToken);
  const admin = d.client(adminToken);
  const listed = (await api.snapshots('gc')).snapshots.map((s) => s.id);
  for (const id of acknowledged) assert.equal(listed.includes(id), !deleted.has(id), `snapshot ${id}`);
  let bytes = 0;
  for (const id of listed) bytes += await verifySnapshot(api, id);
  // Undisturbed runs reclaim what the kills left. Each compaction can free tombstones whose
  // records' segments it removed, which the run after condemns: a few runs reach the fixpoint.
  let settled = 0;
  for (let i = 1; i <= 6 && settled === 0; i++) {
    const s = await runGc(admin);
    if (s.condemnedObjects === 0 && s.reclaimedObjects === 0) settled = i;
  }
  assert.ok(settled > 0, 'undisturbed collections reach a state with nothing left to condemn or reclaim');
  await d.stop();
  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  t.diagnostic(`kills landed: ${[...landed].map(([k, v]) => `${k} ${v}`).join(', ')}; nothing left to collect after ${settled} undisturbed run(s); ${acknowledged.size} acknowledged, ${deleted.size} deleted, ${listed.length} kept, ${(bytes / 1048576).toFixed(1)} MiB verified; ${check.stdout.split('\n')[0]}`);
});
