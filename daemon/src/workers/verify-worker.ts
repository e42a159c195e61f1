// Piscina worker: decompress and SHA-256 every item of a batch, and CRC its stored bytes.
// The arena is shared memory (see verify-task.ts): nothing is copied in or out.

import { createHash } from 'node:crypto';
import { crc32 } from '../../../core/src/bytes/crc32.js';
import { Zstd, ZstdError } from '../../../core/src/compress/zstd.js';
import { Codec, MAX_OBJECT_BYTES } from '../../../core/src/objects/kinds.js';
import { DESCRIPTOR_FIELDS, VerifyStatus, type VerifyResult, type VerifyTask } from './verify-task.js';

const zstd = new Zstd();
const scratch = Buffer.allocUnsafeSlow(MAX_OBJECT_BYTES + 1);

function verifyOne(stored: Buffer, rawLength: number, codec: number, digest: Uint8Array): VerifyStatus {
  let raw: Buffer = stored;
  if (codec === Codec.zstd) {
    try {
      zstd.decompressInto(scratch, stored, rawLength);
    } catch (err) {
      if (err instanceof ZstdError) return /declared/.test(err.message) ? VerifyStatus.lengthMismatch : VerifyStatus.undecodable;
      throw err;
    }
    raw = scratch.subarray(0, rawLength);
  } else if (stored.length !== rawLength) {
    return VerifyStatus.lengthMismatch;
  }
  const actual = createHash('sha256').update(raw).digest();
  return actual.equals(digest) ? VerifyStatus.ok : VerifyStatus.digestMismatch;
}

export default function verifyBatch(task: VerifyTask): VerifyResult {
  const n = task.descriptors.length / DESCRIPTOR_FIELDS;
  const status = new Uint8Array(n);
  const crcs = new Uint32Array(n);
  const arena = Buffer.from(task.arena);
  for (let i = 0; i < n; i++) {
    const d = i * DESCRIPTOR_FIELDS;
    const off = task.descriptors[d] as number;
    const storedLength = task.descriptors[d + 1] as number;
    const stored = arena.subarray(off, off + storedLength);
    crcs[i] = crc32(stored);
    status[i] = verifyOne(stored, task.descriptors[d + 2] as number, task.descriptors[d + 3] as number, task.digests.subarray(i * 32, i * 32 + 32));
  }
  return { status, crcs };
}
