// An offsite and a source killed (SIGKILL) in the middle of a pull, each then restarted: each
// new pull resumes from what was indexed before the kill, and the result restores bit-exact
// with the same snapshot id; both datastores check clean. The kills come at growing amounts
// of object bytes relayed by a proxy between the two, so each lands mid-transfer. The
// source comes back on the same port, as an appliance would.
//
// `npm test`: three kills at fixed points of a 160 MiB pull. `npm run reliability`
// (HAVEN_RELIABILITY=1): 10 kills of each side at random points of a 320 MiB pull, and the
// bytes fetched over all the lives (counted by a proxy between the two, so what a killed side
// lost in flight counts too) stay within 1.1x what the offsite stores at the end plus what the
// kills can lose in flight (kills x streams x 4 MiB, the largest chunk).

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { havend } from '../helpers/daemon.js';
import { countingProxy } from '../helpers/flip-proxy.js';
import { assertRestoresBitExact, backupSeededTree, freePort, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

const RELIABILITY = process.env.HAVEN_RELIABILITY === '1';
const GROUP = 'db';
const FILE_BYTES = 4 << 20;
const FILES = RELIABILITY ? 80 : 40;
/** The offsite's parallel object streams (replication area) and the largest chunk: what one kill can lose in flight. */
const STREAMS = 4;
const MAX_CHUNK = 4 << 20;

type Side = 'offsite' | 'source';
interface Kill { at: number; side: Side }

/** Kill a side once the proxy has relayed `at` bytes of object streams (over all the lives so far). */
function plannedKills(): Kill[] {
  if (!RELIABILITY) return [{ at: 30 << 20, side: 'offsite' }, { at: 70 << 20, side: 'source' }, { at: 110 << 20, side: 'offsite' }];
  // 10 of each side in a random order, at random points between 3% and 80% of the data, at
  // least 4 MiB apart so that each life moves the pull on.
  const sides: Side[] = [...Array<Side>(10).fill('offsite'), ...Array<Side>(10).fill('source')];
  for (let i = sides.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [sides[i], sides[j]] = [sides[j] as Side, sides[i] as Side];
  }
  const total = FILES * FILE_BYTES;
  const span = Math.floor(total * 0.77) - sides.length * (4 << 20);
  const offsets = sides.map(() => randomInt(span)).sort((a, b) => a - b);
  return sides.map((side, i) => ({ side, at: Math.floor(total * 0.03) + (offsets[i] as number) + i * (4 << 20) }));
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

const KILLS = plannedKills();
const title = `a pull survives ${KILLS.filter((k) => k.side === 'offsite').length} SIGKILLs of the offsite and ${KILLS.filter((k) => k.side === 'source').length} of the source and ends bit-exact`;

test(title, { timeout: RELIABILITY ? 1_800_000 : 600_000 }, async (t) => {
  const started = Date.now();
  const pair = await replicationPair(t, GROUP, { sourceListen: `127.0.0.1:${await freePort()}` });
  const { source, offsite } = pair;
  const work = tempDir(t);
  const id = await backupSeededTree(source, GROUP, work, FILES, FILE_BYTES);
  const proxy = await countingProxy(t, source.daemon.url);

  const add = await pair.havend(['peer', 'add', 'primary', '--url', proxy.url, '--token-file', pair.tokenFile, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const segments = join(offsite.dataDir, 'datastore', 'segments');
  const pullStarted = Date.now();

  for (const kill of KILLS) {
    const reached = proxy.holdAt(kill.at);
    const pull = pair.havend(['replicate', 'primary', '--wait', '--json']);
    const first = await Promise.race([reached.then(() => 'reached'), pull.then(() => 'ended')]);
    if (first !== 'reached') assert.fail(`the pull ended before the kill at ${kill.at >> 20} MiB: ${(await pull).stderr}`);
    // the object streams stand still at that byte while the side dies
    const victim = kill.side === 'offsite' ? offsite : source;
    await victim.daemon.stop('SIGKILL');
    proxy.release();
    const cut = await pull;
    assert.notEqual(cut.code, 0, `the pull was cut by the kill of the ${kill.side} at ${kill.at >> 20} MiB: ${cut.stdout}${cut.stderr}`);
    await victim.restart();
  }
  const before = bytesUnder(segments);
  const done = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(done.code, 0, done.stderr);
  const pullSeconds = (Date.now() - pullStarted) / 1000;
  const r = JSON.parse(done.stdout) as ReplicateResponse;
  assert.equal(r.pulled, 1);
  // What arrived before the kills was kept: the last pull fetched the rest, not everything again.
  assert.ok(r.bytesFetched < FILES * FILE_BYTES - KILLS[0]!.at / 2, `the resumed pull fetched ${r.bytesFetched} bytes (${before} were on disk before it)`);

  const stored = bytesUnder(segments);
  const fetched = proxy.objectBytes();
  const counted = (await pair.peerStatus('primary')).bytesFetched;
  const bound = 1.1 * stored + KILLS.length * STREAMS * MAX_CHUNK;
  t.diagnostic(`${KILLS.length} kills (${KILLS.map((k) => `${k.side[0]}@${k.at >> 20}M`).join(' ')}); ${FILES * FILE_BYTES} bytes backed up; `
    + `fetched over the wire ${fetched} bytes, the offsite's counter ${counted}; stored ${stored}; ratio ${(fetched / stored).toFixed(3)}; `
    + `bound ${Math.round(bound)}; pull with kills and restarts ${pullSeconds.toFixed(1)} s`);
  assert.ok(fetched <= bound, `fetched ${fetched} bytes over the kills, more than 1.1 x ${stored} stored + ${KILLS.length} x ${STREAMS} x 4 MiB`);

  assert.deepEqual((await offsite.daemon.client(offsite.token).snapshots(GROUP)).snapshots.map((s) => s.id), [id]);
  await assertRestoresBitExact(offsite, id, work);

  for (const side of [source, offsite]) {
    await side.daemon.stop();
    const check = havend(['store', 'check', '--data', side.dataDir, '--json']);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
  }
  t.diagnostic(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
