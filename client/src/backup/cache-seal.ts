// The files cache's seal: the size and SHA-256 of its LMDB file as the client last saved it.
// LMDB trusts its file: a cache truncated (a full disk, a copy cut short) or overwritten in
// places (a bad sector, a stray write) crashed the client with SIGSEGV or SIGBUS on the next
// lookup, every night until someone deleted it, and nothing in the process can catch that. So
// a cache is opened only when its file is what the seal says; otherwise it is started anew (a
// walk without it, once) and, when a seal was there to contradict it, the backup says so.
//
// Hashing costs ~12 ms for the 11 MB cache of the 63,000-file benchmark (read and SHA-256), at each
// opening and after each save that wrote something (an unchanged backup writes nothing).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DATA = 'data.mdb';
const SEAL = 'data.mdb.seal';

function sealOf(file: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  let size = 0;
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      h.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return `haven files cache v1 ${size} ${h.digest('hex')}\n`;
}

/**
 * Makes `dir` safe to open: removes a cache whose file differs from its seal, or that has no
 * seal (an older client's, or one cut off between its save and its seal). Returns why a cache
 * was removed when it contradicted its seal (damage worth a warning), else null.
 */
export function checkSeal(dir: string): string | null {
  const data = join(dir, DATA);
  if (!existsSync(data)) return null;
  let seal: string | null = null;
  try {
    seal = readFileSync(join(dir, SEAL), 'utf8');
  } catch {
    // no seal: nothing vouches for the file
  }
  const found = seal === null ? null : sealOf(data);
  if (seal !== null && found === seal) return null;
  for (const f of [DATA, 'lock.mdb', SEAL]) rmSync(join(dir, f), { force: true });
  return seal === null ? null : `the files cache in ${dir} was damaged (its file is not what this client last saved there); it was started anew`;
}

/**
 * Removes the seal before the cache is written to: a write cut off (a crash, a full disk) then
 * leaves a cache without a seal, started anew quietly, not one that looks damaged.
 */
export function breakSeal(dir: string): void {
  rmSync(join(dir, SEAL), { force: true });
}

/**
 * Seals the cache as it is now (after a save that wrote to it): written aside, then renamed.
 * A seal that cannot be written (a full disk) leaves the cache unsealed, so the next run starts
 * it anew; the backup it belongs to is committed already and does not fail for it.
 */
export function writeSeal(dir: string): void {
  const tmp = join(dir, `${SEAL}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, sealOf(join(dir, DATA)));
    renameSync(tmp, join(dir, SEAL));
  } catch {
    rmSync(tmp, { force: true });
  }
}
