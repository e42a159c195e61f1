// The restore's file writer against random chunk sequences: data, whole zero chunks at any
// offset, zero blocks inside chunks, sizes off the block grid. Large files take the O_DIRECT
// path, small ones the buffered one; both must give back exactly the bytes, and leave holes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIRECT_MIN_BYTES, FileWriter } from '../../client/src/restore/file-writer.js';
import type { RestoreFileItem, RestoreJobResult } from '../../client/src/restore/restore-messages.js';
import { tempDir } from '../helpers/tmp.js';

const MAX_CHUNK = 1 << 20;
const zeros = Buffer.alloc(MAX_CHUNK);

/** A deterministic byte stream (SHA-256 counter mode) so a failure can be replayed. */
function stream(seed: string): (n: number) => Buffer {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (n) => {
    const parts = [pool];
    let have = pool.length;
    while (have < n) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      parts.push(block);
      have += block.length;
    }
    const all = Buffer.concat(parts);
    pool = all.subarray(n);
    return all.subarray(0, n);
  };
}

function randomChunks(seed: string, target: number): Buffer[] {
  const rnd = stream(seed);
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < target) {
    const len = 1 + (rnd(4).readUInt32LE(0) % 300_000);
    const kind = rnd(1)[0] as number;
    let c: Buffer;
    if (kind < 40) c = Buffer.alloc(len); // a zero chunk, at whatever offset it falls
    else {
      c = Buffer.from(rnd(len));
      if (kind < 120 && len > 20_000) c.fill(0, 5_000, 17_000); // zero blocks inside a chunk
    }
    chunks.push(c);
    size += c.length;
  }
  if (seed.endsWith('hole-end')) chunks.push(Buffer.alloc(3 << 20));
  return chunks;
}

async function writeFile(path: string, chunks: Buffer[]): Promise<RestoreJobResult> {
  const size = chunks.reduce((n, c) => n + c.length, 0);
  const item: RestoreFileItem = { path, rel: path, size, chunks: new Uint8Array(chunks.length * 32), mode: 0o640, uid: 0, gid: 0, mtimeNs: 0n };
  const result: RestoreJobResult = { bytesWritten: 0, bytesSparse: 0, warnings: [] };
  const w = new FileWriter(item, path, result, zeros, async () => undefined);
  for (const c of chunks) w.write(c);
  await w.close();
  return result;
}

test('restored files hold exactly their bytes, direct and buffered, with holes left unwritten', async (t) => {
  const dir = tempDir(t);
  const cases = [
    ...Array.from({ length: 12 }, (_, i) => [`large-${i}`, 4 << 20] as const),
    ['large-hole-end', 2 << 20] as const,
    ['just-direct', DIRECT_MIN_BYTES] as const,
    ...Array.from({ length: 6 }, (_, i) => [`small-${i}`, 200_000] as const),
  ];
  for (const [name, target] of cases) {
    const chunks = randomChunks(name, target);
    const expected = Buffer.concat(chunks);
    const path = join(dir, name);
    const result = await writeFile(path, chunks);
    assert.deepEqual(result.warnings, []);
    const got = readFileSync(path);
    assert.equal(got.length, expected.length, `${name}: size`);
    assert.ok(got.equals(expected), `${name}: content`);
    assert.equal(result.bytesWritten + result.bytesSparse, expected.length, `${name}: every byte written or left as a hole`);
    if (name === 'large-hole-end') {
      const st = statSync(path);
      assert.ok(st.blocks * 512 <= st.size - (3 << 20) + (1 << 20), `${name}: the trailing hole stays a hole (${st.blocks * 512} bytes allocated)`);
    }
  }
});
