import { createHash } from 'node:crypto';
import { DIGEST_BYTES } from './kinds.js';

/** SHA-256 through node:crypto: SHA-NI makes it ~12x faster here than a JS implementation. */
export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function toHex(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
}

/** A digest as a Map/Set key: its 32 bytes as a latin1 string (half the length of hex, no copy). */
export function digestKey(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('latin1');
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

export function isHexDigest(s: string): boolean {
  return HEX_DIGEST.test(s);
}

export function fromHex(hex: string): Buffer {
  if (!isHexDigest(hex)) throw new RangeError(`not a SHA-256 hex digest: ${hex.slice(0, 80)}`);
  return Buffer.from(hex, 'hex');
}

export function digestEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== DIGEST_BYTES || b.length !== DIGEST_BYTES) return false;
  for (let i = 0; i < DIGEST_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}
