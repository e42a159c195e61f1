// The content workers read into recycled windows (client/src/backup/window-recycler.ts) and
// one small-file arena: a buffer is read into again once the chunks cut from it were
// uploaded. Used again too early, a chunk's bytes would change between hashing and upload,
// and the appliance would refuse the backup (DIGEST_MISMATCH) or a restore would differ.
// This backs up several windows' worth of each case (a large file mixing raw and compressed
// chunks, files of a window of their own, thousands of small files through the arena),
// restores, and compares every byte. Frames leave through reused blocks (frame-blocks.ts)
// too: a block used again before the socket sent it would corrupt the stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WindowRecycler } from '../../client/src/backup/window-recycler.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';
import { restoreMatches } from './core-client-cases.js';

const MiB = 1 << 20;

/** Compressible bytes: numbered lines of a seeded digest, as compressible as source code. */
function text(bytes: number, seed: string): Buffer {
  const hex = seededBytes(bytes, seed).toString('hex');
  const lines: string[] = [];
  for (let i = 0, len = 0; len < bytes; i++) {
    const line = `${seed} line ${i}: ${hex.slice((i * 16) % (hex.length - 32), ((i * 16) % (hex.length - 32)) + 32)}\n`;
    lines.push(line);
    len += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

test('windows are used again only after their chunks are uploaded: a backup of many windows restores exactly', async (t) => {
  const w = await cliWorld(t);
  const work = tempDir(t);
  const src = join(work, 'src');
  mkdirSync(join(src, 'small'), { recursive: true });
  // 36 MiB alternating raw (random) and compressed (text) stretches: raw frames copy their bytes out of the window
  const parts: Buffer[] = [];
  for (let i = 0; i < 18; i++) parts.push(i % 2 === 0 ? seededBytes(2 * MiB, `big-${i}`) : text(2 * MiB, `big-${i}`));
  writeFileSync(join(src, 'big.bin'), Buffer.concat(parts));
  // files too large for the small-file arena, each read into a window of its own
  for (let i = 0; i < 6; i++) writeFileSync(join(src, `mid-${i}.bin`), i % 2 === 0 ? seededBytes(3 * MiB + i, `mid-${i}`) : text(3 * MiB + i, `mid-${i}`));
  // 2400 small files, about 15 MiB: the arena is read into again twice
  for (let i = 0; i < 2400; i++) {
    const n = 1024 + ((i * 2654435761) % (11 * 1024));
    writeFileSync(join(src, 'small', `f${i}`), i % 3 === 0 ? seededBytes(n, `s-${i}`) : text(n, `s-${i}`));
  }

  const backup = await w.json<{ warnings: string[]; snapshot: { stats: Record<string, number> } }>(['backup', '--group', 'win', 'src'], { cwd: work, timeoutMs: 180_000 });
  assert.deepEqual(backup.warnings, []);
  console.log('backup stats', JSON.stringify(backup.snapshot.stats));
  await restoreMatches(t, w, 'win', src, 'src');
});

test('the recycler hands out a window again only after the flush that followed its retirement', () => {
  const r = new WindowRecycler(1024, 2);
  const a = r.take();
  const b = r.take();
  assert.notEqual(a, b);
  assert.equal(r.ownedBytes, 2048);
  r.retire(a);
  const done = r.beginFlush();
  r.retire(b); // retired during the flush: its chunks may not be in it
  const c = r.take();
  assert.ok(c !== a && c !== b, 'nothing is free before the flush completes');
  done();
  assert.equal(r.take(), a, 'a is free once the flush that took its chunks completed');
  const d = r.take();
  assert.ok(d !== b, 'b waits for the next flush');
  r.beginFlush()();
  assert.equal(r.take(), b);
  // beyond `keep` free windows, the rest are dropped and no longer counted
  for (const x of [a, c, d]) r.retire(x);
  r.beginFlush()();
  assert.equal(r.ownedBytes, 3 * 1024, 'b in use, two of a, c and d kept free, the third dropped');
  assert.ok([a, c].includes(r.take()) && r.ownedBytes === 3 * 1024, 'a kept window is handed out, nothing made');
});
