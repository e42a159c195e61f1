// Crash safety: SIGKILL havend at random moments during multi-stream uploads and commits,
// restarting it each time: 3 times in `npm test`, 20 under HAVEN_RELIABILITY=1 (`npm run
// reliability`). Every snapshot whose commit was acknowledged must read back bit-exact; no
// snapshot may appear that is not complete; `store check` must be clean.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { toHex } from '../../core/src/objects/digest.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { RELIABILITY, killCount } from '../helpers/kill-plan.js';
import { dirEntry, fileEntry, framesOf, makeObject, textLike, treeOf, type TestObject } from '../helpers/objects.js';
import { verifySnapshot } from '../helpers/readback.js';
import { tempDir } from '../helpers/tmp.js';

const ROUNDS = killCount(3);
const MAX_ROUNDS = RELIABILITY ? 40 : 12;
// At least this many kills must land mid-upload/commit, and this many commits must be acknowledged.
const MIN_INTERRUPTED = RELIABILITY ? 10 : 1;
const MIN_ACKNOWLEDGED = RELIABILITY ? 3 : 1;

/** A backup mixing new data with data shared with every other round (dedup across crashes). */
function roundBackup(round: number, shared: TestObject[]): { objects: TestObject[]; root: TestObject } {
  const fresh: TestObject[] = [];
  for (let i = 0; i < 24; i++) {
    const size = randomInt(8_000, 400_000);
    fresh.push(i % 3 === 0 ? makeObject(ObjectKind.data, textLike(size, round * 100 + i), true) : makeObject(ObjectKind.data, randomBytes(size)));
  }
  const files = [...fresh, ...shared].map((c, i) => fileEntry(`f${i}`, [c]));
  const sub = treeOf(files);
  const root = treeOf([dirEntry(`round-${round}`, sub), dirEntry('shared', treeOf(shared.map((c, i) => fileEntry(`s${i}`, [c]))))]);
  const sharedTree = treeOf(shared.map((c, i) => fileEntry(`s${i}`, [c])));
  return { objects: [...fresh, ...shared, sub, sharedTree, root], root };
}

test(`SIGKILL during multi-stream uploads, at least ${ROUNDS} times`, { timeout: RELIABILITY ? 1_200_000 : 600_000 }, async (t) => {
  const dataDir = tempDir(t);
  const token = createToken(dataDir, 'backup:crash');
  const shared = Array.from({ length: 6 }, () => makeObject(ObjectKind.data, randomBytes(100_000)));
  const acknowledged = new Set<string>();
  const verified = new Set<string>();
  let interrupted = 0;
  // How long a round takes when left alone; kills are drawn from within that window.
  let window = 200;

  let round = 0;
  for (; round < MAX_ROUNDS; round++) {
    if (round >= ROUNDS && interrupted >= MIN_INTERRUPTED && acknowledged.size >= MIN_ACKNOWLEDGED) break;
    const d = await startDaemon(null, { dataDir });
    const api = d.client(token);
    try {
      // After a restart: everything acknowledged is there and whole; nothing else is, unless complete.
      const listed = (await api.snapshots('crash')).snapshots.map((s) => s.id);
      for (const id of acknowledged) assert.ok(listed.includes(id), `round ${round}: acknowledged snapshot ${id} lost`);
      for (const id of listed) {
        if (verified.has(id)) continue;
        await verifySnapshot(api, id);
        verified.add(id);
      }

      // Upload two backups at once, each over three streams, and kill the daemon at a random moment.
      const work = [0, 1].map(async (k) => {
        const b = roundBackup(round * 2 + k, shared);
        const s = await api.startBackup({ group: 'crash' });
        const parts = [0, 1, 2].map((p) => b.objects.filter((_, i) => i % 3 === p));
        // trees last: the root must not arrive before its children are durable
        await Promise.all(parts.map((p) => api.uploadFrames(s.session, framesOf(p.filter((o) => o.kind === ObjectKind.data)))));
        await api.uploadFrames(s.session, framesOf(b.objects.filter((o) => o.kind === ObjectKind.tree)));
        const c = await api.commit(s.session, { root: toHex(b.root.digest) });
        acknowledged.add(c.snapshot.id);
      });
      const started = Date.now();
      let took = 0;
      const settled = Promise.allSettled(work).then((r) => {
        took = Date.now() - started;
        return r;
      });
      await new Promise((r) => setTimeout(r, randomInt(1, Math.max(2, window))));
      d.proc.kill('SIGKILL');
      // Aim the window at the round's duration: grow it while every round is cut short,
      // shrink it to just under the duration when one completes.
      if ((await settled).some((r) => r.status === 'rejected')) {
        interrupted++;
        window = Math.round(window * 1.3);
      } else window = Math.max(5, Math.round(took * 0.9));
    } finally {
      await d.stop('SIGKILL');
    }
  }

  const d = await startDaemon(null, { dataDir });
  const api = d.client(token);
  const listed = (await api.snapshots('crash')).snapshots.map((s) => s.id);
  for (const id of acknowledged) assert.ok(listed.includes(id), `acknowledged snapshot ${id} lost`);
  let bytes = 0;
  for (const id of listed) bytes += await verifySnapshot(api, id);
  await d.stop();
  const check = havend(['store', 'check', '--data', dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  t.diagnostic(`${interrupted} of ${round} kills interrupted uploads or commits; ${acknowledged.size} acknowledged, ${listed.length} present, ${(bytes / 1048576).toFixed(1)} MiB verified; ${check.stdout.split('\n')[0]}`);
  assert.ok(acknowledged.size >= MIN_ACKNOWLEDGED, `only ${acknowledged.size} commits completed between kills`);
  assert.ok(interrupted >= MIN_INTERRUPTED, `only ${interrupted} kills interrupted anything`);
});
