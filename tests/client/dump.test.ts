// haven dump against a real havend: a large file (its chunks in a list object, blocks repeated
// so a window asks for some digests twice) comes out byte for byte, also when read in many
// small windows; a damaged chunk ends the dump with a non-zero status and nothing of it (or
// after it) on stdout; a directory, a missing path and the root are refused.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../client/src/api/api-client.js';
import { resolveSnapshot } from '../../client/src/cli/snapshot-ref.js';
import { ObjectFetcher } from '../../client/src/remote/object-fetcher.js';
import { orderedChunks } from '../../client/src/remote/ordered-chunks.js';
import { TreeSource } from '../../client/src/remote/tree-source.js';
import { fromHex } from '../../core/src/objects/digest.js';
import { startDaemon } from '../helpers/daemon.js';
import { cliWorld, haven } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

/** ~84 MiB of five distinct 3 MiB blocks in a repeating order: enough chunks for a list object, many of them twice. */
function repeatedBlocks(): Buffer {
  const blocks = ['a', 'b', 'c', 'd', 'e'].map((s) => seededBytes(3 << 20, `block-${s}`));
  const order = [0, 1, 0, 2, 3, 1, 0, 4, 2, 2, 1, 3, 0, 4, 4, 1, 2, 3, 0, 1, 4, 3, 2, 0, 1, 0, 3, 4];
  return Buffer.concat(order.map((i) => blocks[i] as Buffer));
}

async function world(t: TestContext) {
  const w = await cliWorld(t);
  const work = tempDir(t);
  mkdirSync(join(work, 'p', 'dir'), { recursive: true });
  const big = repeatedBlocks();
  writeFileSync(join(work, 'p', 'big.img'), big);
  writeFileSync(join(work, 'p', 'dir', 'small.txt'), 'a small file\n');
  await w.json(['backup', '--group', 'd', 'p'], { cwd: work });
  return { w, big };
}

test('haven dump', async (t) => {
  // One backup for all three cases; the last one damages the store.
  const { w, big } = await world(t);
  await t.test('writes a file byte for byte; directories, missing paths and the root are refused', () => dumpsAndRefuses(w, big));
  await t.test('a file read in small windows: every window one request, in order, repeated chunks included', (st) => smallWindows(st, w, big));
  await t.test('a damaged chunk ends the dump: non-zero status, and stdout holds only the verified bytes before it', (st) => damagedChunk(st, w, big));
});

type World = Awaited<ReturnType<typeof world>>['w'];

async function dumpsAndRefuses(w: World, big: Buffer): Promise<void> {
  const dumped = await w.run(['dump', 'latest', 'p/big.img', '--group', 'd']);
  assert.equal(dumped.code, 0, dumped.stderr);
  assert.equal(dumped.stdoutBytes.length, big.length);
  assert.ok(dumped.stdoutBytes.equals(big));
  const small = await w.run(['dump', 'latest', '/p/dir/small.txt', '--group', 'd']);
  assert.equal(small.stdout, 'a small file\n');

  const dir = await w.run(['dump', 'latest', 'p/dir', '--group', 'd']);
  assert.equal(dir.code, 6);
  assert.match(dir.stderr, /NOT_A_FILE/);
  assert.equal(dir.stdout, '');
  const missing = await w.run(['dump', 'latest', 'p/nope', '--group', 'd']);
  assert.equal(missing.code, 6);
  assert.match(missing.stderr, /PATH_NOT_FOUND/);
  assert.equal((await w.run(['dump', 'latest', '/', '--group', 'd'])).code, 2);
  assert.equal((await w.run(['dump', 'latest', 'p/big.img', '--group', 'd', '--json'])).code, 2, 'stdout is the file: no --json');
}

async function smallWindows(t: TestContext, w: World, big: Buffer): Promise<void> {
  const api = new ApiClient({ server: w.daemon.url, token: w.token });
  t.after(() => api.close());
  const snap = await resolveSnapshot(api, 'latest', 'd');
  const fetcher = new ObjectFetcher(api, snap.id);
  const trees = new TreeSource(fetcher);
  const { entry } = await trees.lookup(fromHex(snap.root), ['p', 'big.img']);
  assert.ok(entry?.list, 'the file keeps its chunks in a list object');
  const digests = await trees.listChunks(entry.list);
  const distinct = new Set(digests.map((d) => Buffer.from(d).toString('hex'))).size;
  assert.ok(distinct < digests.length, `repeated blocks give repeated chunks (${distinct} distinct of ${digests.length})`);

  const batch = fetcher.batch.bind(fetcher);
  const asked: number[] = [];
  fetcher.batch = async (window, onObject, indexBase) => {
    asked.push(window.length);
    return batch(window, onObject, indexBase);
  };
  const windowBytes = 4 << 20;
  const parts: Buffer[] = [];
  for await (const raw of orderedChunks(fetcher, digests, entry.size, windowBytes)) parts.push(raw);
  assert.ok(Buffer.concat(parts).equals(big));
  const perWindow = Math.floor(windowBytes / (entry.size / digests.length));
  assert.equal(asked.length, Math.ceil(digests.length / perWindow));
  assert.ok(asked.every((n, i) => n === (i < asked.length - 1 ? perWindow : digests.length - perWindow * (asked.length - 1))));
}

async function damagedChunk(t: TestContext, w: World, big: Buffer): Promise<void> {
  await w.daemon.stop();
  // Random blocks are stored raw: find the last block's bytes in a segment and damage them.
  const segDir = join(w.dataDir, 'datastore', 'segments', '000');
  const needle = big.subarray(big.length - 100_000, big.length - 100_000 + 32);
  let damaged = false;
  for (const name of readdirSync(segDir).sort()) {
    const seg = join(segDir, name);
    const at = readFileSync(seg).indexOf(needle);
    if (at < 0) continue;
    const fd = openSync(seg, 'r+');
    writeSync(fd, Buffer.from('damage'), 0, 6, at);
    closeSync(fd);
    damaged = true;
    break;
  }
  assert.ok(damaged, 'found the chunk in a segment');
  const restarted = await startDaemon(t, { dataDir: w.dataDir });
  const r = await haven(['dump', 'latest', 'p/big.img', '--group', 'd'], { env: { ...w.env, HAVEN_SERVER: restarted.url } });
  assert.equal(r.code, 8, r.stderr);
  assert.match(r.stderr, /CORRUPT/);
  assert.ok(r.stdoutBytes.length > 0 && r.stdoutBytes.length < big.length, `wrote ${r.stdoutBytes.length} bytes: the windows before the damaged chunk's, as they came`);
  assert.ok(r.stdoutBytes.equals(big.subarray(0, r.stdoutBytes.length)), 'what was written is the file\'s beginning');
}
