// The restore path's name handling: names as the tree decoder accepts them (UTF-8 strings,
// or exact bytes that are not UTF-8), joined into paths below the target the way the
// restore plan joins them, keyed the way the restore run and the target's descriptor cache
// key them, and created through the real restore target (both forms). Every path lands
// exactly where its names say, below the target, and two different names never share a key.

import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readdirSync, writeFileSync, closeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadAddon, type NativePath } from '../../core/src/native/addon.js';
import { validName } from '../../core/src/objects/tree.js';
import { CommandPosixOps } from '../../client/src/fs/posix-ops.js';
import { joinPath, utf8OrNull, type DirName } from '../../client/src/fs/names.js';
import { plannedPath } from '../../client/src/restore/restore-plan.js';
import { openRestoreTarget, openTargetFile, relKey } from '../../client/src/restore/restore-target.js';
import { tempDir } from '../helpers/tmp.js';
import { bounded, fuzzParams, testTimeout } from './runs.js';

/** A name the tree decoder accepts, as the restore plan receives it. */
const dirNameArb: fc.Arbitrary<DirName> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 6 }),
  fc.constantFrom('é', 'café', 'Ü', 'a', 'A', '\u00e9\u0301', '..a', '.x', ' ', '\\', '%2f'),
).filter((s) => validName(Buffer.from(s))).map((name) => ({ name }))
  .chain((plain) => fc.oneof(
    fc.constant(plain),
    // Latin-1 and other non-UTF-8 bytes (old file shares): kept exact, shown lossily
    fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b.map((x) => (x === 0 || x === 0x2f ? 0xe9 : x))))
      .filter((raw) => validName(raw) && utf8OrNull(raw) === null)
      .map((raw): DirName => ({ name: raw.toString('utf8'), raw })),
    fc.constant({ name: '\ufffd', raw: Buffer.from([0xe9]) }),
  ));

/**
 * The same characters in Latin-1 bytes (not UTF-8, so kept raw): what a file share written
 * by an old system holds beside its UTF-8 names. Two different names that look alike.
 */
function latin1Twin(n: DirName): DirName | null {
  if (n.raw !== undefined || ![...n.name].every((c) => c.charCodeAt(0) < 0x100)) return null;
  const raw = Buffer.from(n.name, 'latin1');
  return utf8OrNull(raw) === null ? { name: raw.toString('utf8'), raw } : null;
}

function bytesOf(n: DirName): Buffer {
  return n.raw ?? Buffer.from(n.name);
}

/** As the restore plan builds a child's path (restore-plan.ts childRel). */
function childRel(rel: NativePath, child: DirName): NativePath {
  if (rel === '') return child.raw ?? child.name;
  return joinPath(rel, child);
}

function relBytes(rel: NativePath): Buffer {
  return typeof rel === 'string' ? Buffer.from(rel) : rel;
}

test('restore names fuzz: UTF-8 names decode back to their bytes, others are kept raw', { timeout: testTimeout() }, () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
    const s = bounded('utf8OrNull', () => utf8OrNull(bytes));
    if (s !== null) assert.deepEqual(Buffer.from(s), Buffer.from(bytes));
  }), fuzzParams());
});

test('restore names fuzz: a planned path is the target, then exactly its names; keys are one-to-one with bytes', { timeout: testTimeout() }, () => {
  const pathArb = fc.array(dirNameArb, { minLength: 1, maxLength: 6 });
  const twinsArb = pathArb.map((a) => [a, a.map((n) => latin1Twin(n) ?? n)] as const);
  fc.assert(fc.property(fc.oneof(fc.tuple(pathArb, pathArb), twinsArb), ([a, b]) => {
    const relA = a.reduce<NativePath>(childRel, '');
    const relB = b.reduce<NativePath>(childRel, '');
    const target = '/restore/target';
    const abs = relBytes(plannedPath(target, relA));
    assert.deepEqual(abs, Buffer.concat([Buffer.from(`${target}/`), ...a.flatMap((n, i) => (i === 0 ? [bytesOf(n)] : [Buffer.from('/'), bytesOf(n)]))]));
    const parts = abs.subarray(target.length + 1).toString('latin1').split('/');
    assert.equal(parts.length, a.length, 'no name adds or removes a component');
    for (const p of parts) assert.ok(p !== '' && p !== '.' && p !== '..');
    const sameBytes = relBytes(relA).equals(relBytes(relB));
    assert.equal(relKey(relA) === relKey(relB), sameBytes, `relKey(${relBytes(relA).toString('hex')}) vs relKey(${relBytes(relB).toString('hex')})`);
  }), fuzzParams());
});

/** A small directory tree: each node names its parent (one of the last few directories, or the target). */
const layoutArb = fc.array(fc.tuple(fc.nat({ max: 3 }), dirNameArb, fc.boolean()), { minLength: 1, maxLength: 12 })
  // each name may come with its Latin-1 twin in the same directory
  .chain((nodes) => fc.array(fc.boolean(), { minLength: nodes.length, maxLength: nodes.length }).map((twins) =>
    nodes.flatMap((node, i) => {
      const twin = twins[i] ? latin1Twin(node[1]) : null;
      // -1: beside the previous node, in the same directory
      return twin ? [node, [-1, twin, node[2]] as typeof node] : [node];
    })));

for (const form of ['descriptors', 'checked paths'] as const) {
  test(`restore names fuzz (${form}): directories and files land where their names say, nothing outside`, { timeout: testTimeout(0.25) }, (t) => {
    const addon = loadAddon().addon;
    if (form === 'descriptors' && !addon) {
      if (process.env.CI === 'true') assert.fail('native addon missing under CI=true');
      t.skip('native addon not built');
      return;
    }
    const root = tempDir(t, 'haven-fuzz-names-');
    let n = 0;
    fc.assert(fc.property(layoutArb, (layout) => {
      const base = join(root, String(n++));
      const target = join(base, 'target');
      mkdirSync(join(base, 'outside'), { recursive: true });
      const fs = openRestoreTarget(target, new CommandPosixOps(), form === 'descriptors' ? addon : null);
      // what the tree says, planned: unique names per directory, children after their parent
      const dirs: Array<{ rel: NativePath; children: Set<string> }> = [{ rel: '', children: new Set() }];
      const expected = new Map<string, 'dir' | 'file'>();
      try {
        let parent = dirs[0] as { rel: NativePath; children: Set<string> };
        for (const [parentPick, name, isDir] of layout) {
          if (parentPick >= 0) parent = dirs[dirs.length - 1 - (parentPick % dirs.length)] as typeof parent;
          const key = bytesOf(name).toString('latin1');
          if (parent.children.has(key)) continue;
          parent.children.add(key);
          const rel = childRel(parent.rel, name);
          expected.set(relBytes(rel).toString('latin1'), isDir ? 'dir' : 'file');
          if (isDir) {
            fs.makeDir(rel);
            dirs.push({ rel, children: new Set() });
          } else {
            closeSync(openTargetFile(fs.handle, rel, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL));
          }
        }
      } finally {
        fs.close();
      }
      const found = new Map<string, 'dir' | 'file'>();
      const walk = (dir: Buffer, rel: Buffer | null): void => {
        for (const name of readdirSync(dir, { encoding: 'buffer' })) {
          const path = Buffer.concat([dir, Buffer.from('/'), name]);
          const r = rel === null ? name : Buffer.concat([rel, Buffer.from('/'), name]);
          const isDir = lstatSync(path).isDirectory();
          found.set(r.toString('latin1'), isDir ? 'dir' : 'file');
          if (isDir) walk(path, r);
        }
      };
      walk(Buffer.from(target), null);
      assert.deepEqual(found, expected);
      assert.deepEqual(readdirSync(join(base, 'outside')), [], 'nothing written outside the target');
      writeFileSync(join(base, 'done'), '');
    }), fuzzParams(0.25));
  });
}
