// An offsite killed (SIGKILL) in the middle of a pull, a few times, and the source once, each
// then restarted: each new pull resumes from what was indexed before the kill, and the result
// restores bit-exact with the same snapshot id; both datastores check clean. The kills come at
// growing amounts of data written on the offsite (observed in its segment files), so each
// lands mid-transfer. The source comes back on the same port, as an appliance would.

import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { havend } from '../helpers/daemon.js';
import { assertRestoresBitExact, backupSeededTree, eventually, freePort, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const GROUP = 'db';
const FILES = 40;
const FILE_BYTES = 4 << 20;
/** Kill a side once the offsite's segments hold this much (of ~160 MiB). */
const KILLS = [{ at: 30 << 20, side: 'offsite' }, { at: 70 << 20, side: 'source' }, { at: 110 << 20, side: 'offsite' }] as const;

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

test('a pull survives SIGKILLs of the offsite and of the source and ends bit-exact', async (t) => {
  const pair = await replicationPair(t, GROUP, { sourceListen: `127.0.0.1:${await freePort()}` });
  const { source, offsite } = pair;
  const work = tempDir(t);
  const id = await backupSeededTree(source, GROUP, work, FILES, FILE_BYTES);

  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const segments = join(offsite.dataDir, 'datastore', 'segments');

  for (const kill of KILLS) {
    const pull = pair.havend(['replicate', 'primary', '--wait', '--json']);
    await eventually(`the offsite wrote ${kill.at >> 20} MiB`, 120_000, async () => bytesUnder(segments) >= kill.at);
    const victim = kill.side === 'offsite' ? offsite : source;
    await victim.daemon.stop('SIGKILL');
    const cut = await pull;
    assert.notEqual(cut.code, 0, `the pull was cut by the kill of the ${kill.side}`);
    await victim.restart();
  }
  const before = bytesUnder(segments);
  const done = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(done.code, 0, done.stderr);
  const r = JSON.parse(done.stdout) as ReplicateResponse;
  assert.equal(r.pulled, 1);
  t.diagnostic(`after ${KILLS.length} kills: ${before} bytes on disk, the last pull fetched ${r.bytesFetched} of ${FILES * FILE_BYTES}`);
  // What arrived before the kills was kept: the last pull fetched the rest, not everything again.
  assert.ok(r.bytesFetched < FILES * FILE_BYTES - (KILLS[0].at) / 2, `the resumed pull fetched ${r.bytesFetched} bytes (${before} were on disk before it)`);

  assert.deepEqual((await offsite.daemon.client(offsite.token).snapshots(GROUP)).snapshots.map((s) => s.id), [id]);
  await assertRestoresBitExact(offsite, id, work);

  for (const side of [source, offsite]) {
    await side.daemon.stop();
    const check = havend(['store', 'check', '--data', side.dataDir, '--json']);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
  }
});
