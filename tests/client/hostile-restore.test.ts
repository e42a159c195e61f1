// Issue 18: a snapshot pushed with a mere backup token must not make an admin's `haven
// restore` write outside its target, nor exhaust its memory or stack. The real CLI runs
// against a hostile stand-in for havend (helpers/hostile-server.ts) serving object graphs of
// real encodings (helpers/hostile-trees.ts). Around every run, a directory outside the
// target is described in full (type, mode, owner, mtime and ctime in ns, xattrs, content
// hash, link targets; atime is left out: reading changes it) and must come out unchanged.
// Every child is killed at a deadline; where memory is the attack, its peak RSS is measured
// (helpers/bounded-run.ts: GNU time's %M, else sampled VmHWM). Issue 17's crafted cases:
// names with `/`, `..`, `.`, empty, NUL, absolute and climbing paths (as names and as name
// bytes), duplicate names, symlinks out then used as directories (split parts), hard links
// planted in the target to outside files, huge sizes, deep nesting, list and DAG bombs.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { encodeTree } from '../../core/src/objects/tree.js';
import { haven, type CliOptions, type CliResult } from '../helpers/haven-cli.js';
import { GraphBuilder, entry } from '../helpers/object-graph.js';
import { startHostileServer, type HostileServer, type HostileServerOptions } from '../helpers/hostile-server.js';
import { deepNesting, legitimate, nestedListBomb, sharedSubtreeDag, splitPartDuplicate, type ExpectedEntry } from '../helpers/hostile-trees.js';
import { isRoot, need } from '../helpers/prereq.js';
import { tempDir } from '../helpers/tmp.js';
import { describeTree, type Described } from '../helpers/tree-compare.js';

const posix = createPosixOps();
const MiB = 1 << 20;
/** What a client under attack may use at most. */
const RSS_LIMIT = 512 * MiB;
/** Past this a runaway client is killed at once: the assertion fails either way, the machine stays up. */
const RSS_KILL = 1024 * MiB;
const DEADLINE_MS = 20_000;
const EXIT_DAMAGED = 8;
const EXIT_UNREACHABLE = 5;
const EXIT_WARNINGS = 3;

interface Lab {
  server: HostileServer;
  /** A directory outside every target, which no restore may change. */
  outside: string;
  /** A fresh path for a restore target (not created). */
  target(name: string): string;
  run(args: string[], options?: CliOptions): Promise<CliResult>;
}

/** The outside directory: a file, a subdirectory and a symlink, with xattrs on the directory and the file. */
async function makeOutside(dir: string): Promise<void> {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'file'), 'outside: must never change\n');
  writeFileSync(join(dir, 'sub', 'inner'), 'outside, one level down\n');
  symlinkSync('/etc/hostname', join(dir, 'link'));
  chmodSync(dir, 0o755);
  await posix.writeXattr(dir, 'user.outside', Buffer.from('keep'));
  await posix.writeXattr(join(dir, 'file'), 'user.outside', Buffer.from('keep'));
}

function describeOutside(dir: string): ReturnType<typeof describeTree> {
  return describeTree(dir, posix, { self: true, ctime: true });
}

/**
 * A hostile server and a CLI environment for it (its own config and cache dirs), plus the
 * outside directory. `snapshots` gets the outside path: a fixture may point at it.
 */
async function hostileLab(t: TestContext, options: (outside: string) => HostileServerOptions): Promise<Lab> {
  const dir = tempDir(t, 'haven-hostile-');
  const outside = join(dir, 'outside');
  await makeOutside(outside);
  const server = await startHostileServer(options(outside));
  t.after(() => server.close());
  const env = { HAVEN_SERVER: server.url, HAVEN_TOKEN: server.token, HAVEN_CACHE_DIR: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
  return {
    server, outside,
    target: (name) => join(dir, name),
    run: (args, o = {}) => haven(args, { timeoutMs: DEADLINE_MS, ...o, env: { ...env, ...o.env } }),
  };
}

function errorCode(r: CliResult): string {
  try {
    return (JSON.parse(r.stdout) as { error?: { code?: string } }).error?.code ?? '(no error in the JSON output)';
  } catch {
    return '(no JSON output)';
  }
}

function what(r: CliResult): string {
  const end = r.timedOut ? `killed at the deadline after ${r.elapsedMs} ms` : r.killedForRss ? 'killed for its RSS' : `exit ${r.code}`;
  return `${end}, code ${errorCode(r)}; stderr ends: ${r.stderr.slice(-300)}`;
}

/** `command` refused with one of `codes` (and `exit`), cleanly: in time, no crash. */
function assertRefused(command: string, r: CliResult, codes: string[], exit?: number): void {
  const said = `haven ${command}: ${what(r)}`;
  assert.ok(!r.timedOut && !r.killedForRss, said);
  // (assert.ok, not doesNotMatch: that one prints the whole stderr, a 20 kB path once)
  assert.ok(!/internal error|Maximum call stack|heap out of memory/.test(r.stderr), `crashed: ${said}`);
  assert.ok(codes.includes(errorCode(r)), `expected ${codes.join(' or ')}: ${said}`);
  if (exit !== undefined) assert.equal(r.code, exit, said);
}

function assertPeakUnder(command: string, r: CliResult, limit: number): void {
  assert.ok(r.peakRssBytes !== null, 'peak RSS measured');
  assert.ok(r.peakRssBytes < limit, `haven ${command}: peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB, limit ${limit / MiB} MiB: ${what(r)}`);
  // The figure itself, for the record (node:test shows a test file's output as diagnostics).
  console.log(`haven ${command}: peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB (limit ${limit / MiB} MiB), ${r.elapsedMs} ms, ${what(r)}`);
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The target holds exactly the expected entries: types, modes, content, link targets. */
async function assertRestored(target: string, expected: ExpectedEntry[]): Promise<void> {
  const found = await describeTree(target, posix);
  assert.deepEqual([...found.keys()], expected.map((e) => e.path));
  for (const e of expected) {
    const d = found.get(e.path);
    assert.equal(d?.type, e.type, e.path);
    if (e.mode !== undefined) assert.equal(d?.mode, e.mode, `${e.path} mode`);
    if (e.content) assert.equal(d?.sha, sha(e.content), `${e.path} content`);
    if (e.target !== undefined) assert.equal(d?.target, Buffer.from(e.target).toString('hex'), `${e.path} target`);
  }
}

test('the hostile server serves a benign snapshot: login, snapshots, ls (latest and by id), restore and check work', async (t) => {
  const snap = legitimate();
  const lab = await hostileLab(t, () => ({ snapshots: [{ group: 'benign', ...snap }] }));
  const login = await lab.run(['login', lab.server.url, '--token', lab.server.token, '--json'], { env: { HAVEN_SERVER: '', HAVEN_TOKEN: '' } });
  assert.equal(login.code, 0, what(login));
  // with HAVEN_SERVER and HAVEN_TOKEN blank, the login just saved is what connects
  const fromConfig = await lab.run(['snapshots', '--json'], { env: { HAVEN_SERVER: '', HAVEN_TOKEN: '' } });
  assert.equal(fromConfig.code, 0, what(fromConfig));
  const [summary] = lab.server.snapshots;
  assert.deepEqual((JSON.parse(fromConfig.stdout) as { snapshots: Array<{ id: string }> }).snapshots.map((s) => s.id), [summary?.id]);
  for (const ref of ['latest', (summary?.id ?? '').slice(0, 8)]) {
    const ls = await lab.run(['ls', ref, '--json']);
    assert.equal(ls.code, 0, what(ls));
    assert.deepEqual((JSON.parse(ls.stdout) as { entries: Array<{ path: string }> }).entries.map((e) => e.path).sort(), snap.expected.map((e) => e.path));
  }
  const target = lab.target('restored');
  const restore = await lab.run(['restore', 'latest', '--target', target, '--json']);
  assert.equal(restore.code, 0, what(restore));
  assert.equal(restore.stderr, '', 'a clean restore says nothing on stderr (it once printed a Node warning per file closed in a worker)');
  await assertRestored(target, snap.expected);
  const check = await lab.run(['check', 'latest', '--read-data', '--json']);
  assert.equal(check.code, 0, what(check));
});

for (const symlinkFirst of [true, false]) {
  for (const overwrite of [false, true]) {
    const name = `split-part duplicate (${symlinkFirst ? 'symlink' : 'directory'} part first${overwrite ? ', --overwrite into a populated target' : ''}): refused as OBJECT_UNDECODABLE, outside unchanged`;
    test(name, async (t) => {
      if (!need(t, isRoot(), 'the fixture holds a device node and files owned by 4242, which only root can create')) return;
      const lab = await hostileLab(t, (outside) => ({ snapshots: [{ group: 'evil', ...splitPartDuplicate({ symlinkFirst, outside }) }] }));
      const target = lab.target('target');
      if (overwrite) {
        mkdirSync(join(target, 'esc'), { recursive: true });
        writeFileSync(join(target, 'esc', 'file'), 'already in the target\n');
        writeFileSync(join(target, 'unrelated'), 'already in the target\n');
      }
      const before = await describeOutside(lab.outside);
      const restore = await lab.run(['restore', 'latest', '--target', target, '--json', ...(overwrite ? ['--overwrite'] : [])]);
      const ls = await lab.run(['ls', 'latest', '--json']);
      // check keeps trees as bytes and joins the parts when its walk reaches them
      const check = await lab.run(['check', 'latest', '--json']);
      const after = await describeOutside(lab.outside);
      await t.test('restore', () => assertRefused('restore', restore, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED));
      await t.test('ls', () => assertRefused('ls', ls, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED));
      await t.test('check', () => assertRefused('check', check, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED));
      assert.deepEqual(after, before, 'the outside directory is unchanged');
    });
  }
}

test('a legitimate snapshot restored with --overwrite over symlinks (and a directory) planted at its names: restored, outside unchanged', async (t) => {
  const snap = legitimate();
  const lab = await hostileLab(t, () => ({ snapshots: [{ group: 'benign', ...snap }] }));
  const target = lab.target('target');
  mkdirSync(join(target, 'up'), { recursive: true });
  symlinkSync(lab.outside, join(target, 'sub')); // where the snapshot has a directory
  symlinkSync(join(lab.outside, 'file'), join(target, 'hello.txt')); // a file
  symlinkSync(join(lab.outside, 'sub'), join(target, 'big.bin')); // a file with a list
  symlinkSync(join(lab.outside, 'sub', 'inner'), join(target, 'pipe')); // a fifo
  symlinkSync(lab.outside, join(target, 'up', 'trap')); // a directory where the snapshot has a symlink
  writeFileSync(join(target, 'up', 'stale'), 'removed with the directory\n');
  const before = await describeOutside(lab.outside);
  const r = await lab.run(['restore', 'latest', '--target', target, '--overwrite', '--json']);
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  assert.equal(r.code, 0, what(r));
  await assertRestored(target, snap.expected);
});

test('a shared-subtree DAG naming 2^40 paths: restore, ls and check stop at --max-entries with RESTORE_LIMIT, in bounded memory', async (t) => {
  const lab = await hostileLab(t, () => ({ snapshots: [{ group: 'dag', ...sharedSubtreeDag(40, 2) }] }));
  const bounded: CliOptions = { timeoutMs: 30_000, measureRss: true, killAboveRssBytes: RSS_KILL };
  const before = await describeOutside(lab.outside);
  const [restore, ls, check] = await Promise.all([
    lab.run(['restore', 'latest', '--target', lab.target('target'), '--max-entries', '100000', '--json'], bounded),
    lab.run(['ls', 'latest', '--max-entries', '100000', '--json'], bounded),
    // check decodes a shared tree again at every visit (it keeps trees as bytes): still bounded
    lab.run(['check', 'latest', '--max-entries', '100000', '--json'], bounded),
  ]);
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  await t.test('restore', () => {
    assertRefused('restore', restore, ['RESTORE_LIMIT']);
    assertPeakUnder('restore', restore, RSS_LIMIT);
  });
  await t.test('ls', () => {
    assertRefused('ls', ls, ['RESTORE_LIMIT']);
    assertPeakUnder('ls', ls, RSS_LIMIT);
  });
  await t.test('check', () => {
    assertRefused('check', check, ['RESTORE_LIMIT']);
    assertPeakUnder('check', check, RSS_LIMIT);
  });
});

test('a nested list bomb (2^32 chunks from three objects): restore refuses the list within 30 s, in bounded memory', async (t) => {
  const lab = await hostileLab(t, () => ({ snapshots: [{ group: 'bomb', ...nestedListBomb() }] }));
  const before = await describeOutside(lab.outside);
  const r = await lab.run(['restore', 'latest', '--target', lab.target('target'), '--json'], { timeoutMs: 30_000, measureRss: true, killAboveRssBytes: RSS_KILL });
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  assertRefused('restore', r, ['RESTORE_LIMIT', 'OBJECT_UNDECODABLE']);
  assertPeakUnder('restore', r, RSS_LIMIT);
});

test('directories nested 10,000 deep: restore, ls and check refuse with TREE_TOO_DEEP (exit 8), no stack overflow', async (t) => {
  const lab = await hostileLab(t, () => ({ snapshots: [{ group: 'deep', ...deepNesting(10_000) }] }));
  const before = await describeOutside(lab.outside);
  // One after the other, each with a minute: a refusal needs 1,025 round trips (a level's
  // digest is known only once its parent arrived), which a loaded CI machine can stretch.
  const deep: CliOptions = { timeoutMs: 60_000 };
  const restore = await lab.run(['restore', 'latest', '--target', lab.target('target'), '--json'], deep);
  const ls = await lab.run(['ls', 'latest', '--json'], deep);
  const check = await lab.run(['check', 'latest', '--json'], deep);
  console.log(`10,000-deep: refused after ${restore.elapsedMs} ms (restore), ${ls.elapsedMs} ms (ls), ${check.elapsedMs} ms (check)`);
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  await t.test('restore', () => assertRefused('restore', restore, ['TREE_TOO_DEEP'], EXIT_DAMAGED));
  await t.test('ls', () => assertRefused('ls', ls, ['TREE_TOO_DEEP'], EXIT_DAMAGED));
  await t.test('check', () => assertRefused('check', check, ['TREE_TOO_DEEP'], EXIT_DAMAGED));
});

test('a server that accepts connections and never answers: snapshots and restore give up with SERVER_UNREACHABLE (exit 5) within 15 s', async (t) => {
  const lab = await hostileLab(t, () => ({ neverAnswer: true }));
  const bounded: CliOptions = { timeoutMs: 15_000, env: { HAVEN_TIMEOUT_SECONDS: '1' } };
  const [snapshots, restore] = await Promise.all([
    lab.run(['snapshots', '--json'], bounded),
    lab.run(['restore', 'latest', '--target', lab.target('target'), '--json'], bounded),
  ]);
  await t.test('snapshots', () => assertRefused('snapshots', snapshots, ['SERVER_UNREACHABLE'], EXIT_UNREACHABLE));
  await t.test('restore', () => assertRefused('restore', restore, ['SERVER_UNREACHABLE'], EXIT_UNREACHABLE));
});

/**
 * Names no directory entry can have, each as the entry's name (and, where it is UTF-8, as its
 * name bytes too), beside a legitimate file: `/` inside, `..`, `.`, empty, NUL, an absolute
 * path and a path climbing out. Encoded by the real encoder, which checks nothing: only the
 * client's decoder stands between such a tree and the file system.
 */
const HOSTILE_NAMES: Array<[string, string]> = [
  ['a slash inside', 'a/b'], ['dot-dot', '..'], ['dot', '.'], ['empty', ''], ['NUL', 'x\u0000y'],
  ['an absolute path', '/etc/cron.d/haven-owned'], ['a climbing path', '../../outside/file'],
];

for (const [label, name] of HOSTILE_NAMES) {
  for (const as of ['name', 'name bytes'] as const) {
    test(`a tree entry named by ${label} (${JSON.stringify(name)}, as its ${as}): restore, ls and check refuse with OBJECT_UNDECODABLE, nothing written`, async (t) => {
      const lab = await hostileLab(t, (outside) => {
        const g = new GraphBuilder();
        const fields = as === 'name bytes' ? { rawName: Buffer.from(name) } : {};
        const evil = g.file(name, `written by a hostile tree into ${outside}\n`, fields);
        return { snapshots: [{ group: 'names', ...g.graph(g.tree([g.file('benign', 'benign\n'), evil])) }] };
      });
      const target = lab.target('target');
      const before = await describeOutside(lab.outside);
      const restore = await lab.run(['restore', 'latest', '--target', target, '--json']);
      const ls = await lab.run(['ls', 'latest', '--json']);
      const check = await lab.run(['check', 'latest', '--json']);
      assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
      assertRefused('restore', restore, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED);
      assertRefused('ls', ls, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED);
      assertRefused('check', check, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED);
      assert.deepEqual(existsSync(target) ? readdirSync(target) : [], [], 'nothing restored from a tree that does not decode');
    });
  }
}

test('duplicate names in one tree (a symlink out, then a directory of the same name): refused as OBJECT_UNDECODABLE, outside unchanged', async (t) => {
  const lab = await hostileLab(t, (outside) => {
    const g = new GraphBuilder();
    const link = entry('esc', 'symlink', { target: outside });
    const dir = g.dir('esc', [g.file('file', 'written through the symlink\n')]);
    // Both orders: a decoder that only compares neighbours for "less than" would let one pass.
    return { snapshots: [{ group: 'dup', ...g.graph(g.add(ObjectKind.tree, encodeTree({ entries: [link, dir, { ...link, name: 'esc' }] }))) }] };
  });
  const target = lab.target('target');
  const before = await describeOutside(lab.outside);
  const restore = await lab.run(['restore', 'latest', '--target', target, '--json']);
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  assertRefused('restore', restore, ['OBJECT_UNDECODABLE'], EXIT_DAMAGED);
});

test('--overwrite over hard links planted at the snapshot\'s file names (to files outside the target): replaced, the outside files unchanged', async (t) => {
  const snap = legitimate();
  const lab = await hostileLab(t, () => ({ snapshots: [{ group: 'benign', ...snap }] }));
  const target = lab.target('target');
  mkdirSync(join(target, 'sub'), { recursive: true });
  // Same file system (the lab's temporary directory): a write through either name would change the outside inode.
  linkSync(join(lab.outside, 'file'), join(target, 'hello.txt'));
  linkSync(join(lab.outside, 'sub', 'inner'), join(target, 'sub', 'inner.txt'));
  linkSync(join(lab.outside, 'file'), join(target, 'empty'));
  // Without ctimes and link lists: unlinking a planted name changes the outside inode's link
  // count, hence its ctime. A write through the link would change its content and mtime, a chmod or chown its mode or owner.
  const unlinked = async (): Promise<Map<string, Omit<Described, 'links'>>> =>
    new Map([...await describeTree(lab.outside, posix, { self: true })].map(([k, { links: _links, ...rest }]) => [k, rest]));
  const before = await unlinked();
  const r = await lab.run(['restore', 'latest', '--target', target, '--overwrite', '--json']);
  assert.deepEqual(await unlinked(), before, 'the outside files are unchanged (content, mode, owner, mtime, xattrs)');
  assert.equal(r.code, 0, what(r));
  await assertRestored(target, snap.expected);
  for (const name of ['hello.txt', 'empty', 'sub/inner.txt']) assert.equal(statSync(join(target, name)).nlink, 1, `${name} is an inode of its own`);
});

test('a file claiming 2^50 bytes over one 12-byte chunk: RESTORE_LIMIT; with the limit raised, 12 bytes written and a warning naming it, nothing of that size allocated', async (t) => {
  const lab = await hostileLab(t, () => {
    const g = new GraphBuilder();
    return { snapshots: [{ group: 'huge', ...g.graph(g.tree([entry('huge', 'file', { size: 2 ** 50, data: [g.data('twelve bytes')] })])) }] };
  });
  const target = lab.target('target');
  const before = await describeOutside(lab.outside);
  const r = await lab.run(['restore', 'latest', '--target', target, '--json'], { timeoutMs: 30_000, measureRss: true, killAboveRssBytes: RSS_KILL });
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  assertRefused('restore', r, ['RESTORE_LIMIT']);
  assertPeakUnder('restore', r, RSS_LIMIT);
  // With the limit raised past the claim, the chunks' 12 bytes contradict it.
  const raised = await lab.run(['restore', 'latest', '--target', target, '--max-bytes', String(2 ** 51), '--json'], { timeoutMs: 30_000, measureRss: true, killAboveRssBytes: RSS_KILL });
  assert.deepEqual(await describeOutside(lab.outside), before, 'the outside directory is unchanged');
  // What the chunks hold is written, the file is cut to it, and the restore ends with a warning
  // naming the file (exit 3): no 2^50-byte file or hole appears.
  assert.equal(raised.code, EXIT_WARNINGS, what(raised));
  assertPeakUnder('restore --max-bytes 2^51', raised, RSS_LIMIT);
  const out = JSON.parse(raised.stdout) as { bytesWritten: number; warnings: string[] };
  assert.equal(out.bytesWritten, 12);
  assert.ok(out.warnings.some((w) => w.includes('huge') && w.includes(`the snapshot says ${2 ** 50}`)), JSON.stringify(out.warnings));
  const huge = statSync(join(target, 'huge'));
  assert.ok(huge.size === 12 && huge.blocks * 512 <= 1 << 20, `left ${huge.size} bytes (${huge.blocks} blocks)`);
});
