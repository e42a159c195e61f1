// haven dump against a real havend: a large file (its chunks in a list object, blocks repeated
// so a window asks for some digests twice) comes out byte for byte, also when read in many
// small windows; a damaged chunk ends the dump with a non-zero status and nothing of it (or
// after it) on stdout; a missing path is refused. A directory comes out as a tar that GNU tar
// extracts to the source tree (every kind of entry, hard links, owners as root), less what tar
// cannot carry, each said in a warning.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../../client/src/api/api-client.js';
import { resolveSnapshot } from '../../client/src/cli/snapshot-ref.js';
import { ObjectFetcher } from '../../client/src/remote/object-fetcher.js';
import { orderedChunks } from '../../client/src/remote/ordered-chunks.js';
import { TreeSource } from '../../client/src/remote/tree-source.js';
import { fromHex } from '../../core/src/objects/digest.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { startDaemon } from '../helpers/daemon.js';
import { isRoot } from '../helpers/prereq.js';
import { makeSourceTree } from '../helpers/source-tree.js';
import { describeTree, type Described } from '../helpers/tree-compare.js';
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
  symlinkSync('big.img', join(work, 'p', 'link'));
  await w.json(['backup', '--group', 'd', 'p'], { cwd: work });
  return { w, big };
}

test('haven dump of files', async (t) => {
  // One backup for all three cases; the last one damages the store.
  const { w, big } = await world(t);
  await t.test('writes a file byte for byte; a symlink and a missing path are refused', () => dumpsAndRefuses(w, big));
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
  assert.equal(dir.code, 0, dir.stderr);
  assert.deepEqual(spawnSync('tar', ['-t'], { input: dir.stdoutBytes }).stdout.toString().trim().split('\n'), ['p/dir/', 'p/dir/small.txt']);
  const link = await w.run(['dump', 'latest', 'p/link', '--group', 'd']);
  assert.equal(link.code, 6);
  assert.match(link.stderr, /NOT_A_FILE/);
  assert.equal(link.stdout, '');
  const missing = await w.run(['dump', 'latest', 'p/nope', '--group', 'd']);
  assert.equal(missing.code, 6);
  assert.match(missing.stderr, /PATH_NOT_FOUND/);
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
  // The same chunk inside a tar: the archive is cut, and tar says so.
  const archive = await haven(['dump', 'latest', 'p', '--group', 'd'], { env: { ...w.env, HAVEN_SERVER: restarted.url } });
  assert.equal(archive.code, 8, archive.stderr);
  const listed = spawnSync('tar', ['-t'], { input: archive.stdoutBytes });
  assert.notEqual(listed.status, 0, 'tar finds the archive truncated');
  assert.match(listed.stderr.toString(), /Unexpected EOF/);
}

test('haven dump of a directory is a tar that GNU tar extracts to the same tree, xattrs included, less what tar cannot carry', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(src);
  const posix = createPosixOps();
  await makeSourceTree(src, posix, { asRoot: isRoot(), largeBytes: 8 << 20 });
  // More entries than one group holds (4096), and a file dated before 1970.
  mkdirSync(join(src, 'many'));
  for (let i = 0; i < 5000; i++) writeFileSync(join(src, 'many', `f${i}`), i % 7 === 0 ? `${i}` : '');
  writeFileSync(join(src, 'old'), 'from 1969');
  utimesSync(join(src, 'old'), new Date(0), new Date(-86_400_000));
  await w.json(['backup', '--group', 'tar', 'src'], { cwd: work });

  const whole = await w.run(['dump', 'latest', '/', '--group', 'tar']);
  assert.equal(whole.code, 3, `warnings, not failure: ${whole.stderr}`);
  assert.match(whole.stderr, /1 entries left out .*not UTF-8/);
  assert.match(whole.stderr, /1 entries dated before 1970 written as 1970-01-01/);
  const out = tempDir(t);
  const untar = spawnSync('tar', ['-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', out], { input: whole.stdoutBytes });
  assert.equal(untar.status, 0, untar.stderr.toString());

  const before = await describeTree(src, posix);
  const after = await describeTree(join(out, 'src'), posix);
  const latin1Name = 'caf\xe9-latin1';
  assert.ok(before.has(latin1Name) && !after.has(latin1Name), 'the name that is not UTF-8 is left out');
  before.delete(latin1Name);
  assert.equal(after.get('old')?.mtimeNs, '0');
  (before.get('old') as Described).mtimeNs = '0';
  // What tar keeps: all but sub-second times and holes (a sparse file comes back dense).
  const comparable = (d: Described): Omit<Described, 'mtimeNs' | 'blocks'> & { mtimeS: string } => {
    const { mtimeNs, blocks: _blocks, ...rest } = d;
    return { ...rest, mtimeS: (BigInt(mtimeNs) / 1_000_000_000n).toString() };
  };
  assert.deepEqual([...after.keys()], [...before.keys()]);
  for (const [path, d] of before) assert.deepEqual(comparable(after.get(path) as Described), comparable(d), path);
  assert.equal(after.get('hl2')?.links.length, 3, 'hard links come back as links');

  const sub = await w.run(['dump', 'latest', 'src/sub', '--group', 'tar']);
  assert.equal(sub.code, 0, sub.stderr);
  const listed = spawnSync('tar', ['-t'], { input: sub.stdoutBytes }).stdout.toString().trim().split('\n');
  assert.deepEqual(listed, ['src/sub/', 'src/sub/deep/', 'src/sub/deep/hl3', 'src/sub/hl1', 'src/sub/large.bin', 'src/sub/random.bin']);
});
