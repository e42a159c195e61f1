// The message format between the ingest path and the verification workers.
// A batch is one arena (a SharedArrayBuffer from the ArenaPool) holding several stored
// payloads back to back, plus their descriptors. Arenas are shared, not transferred:
// transferring ArrayBuffers back and forth cost ~57 scavenges and ~0.35 extra CPU-s per GiB
// here (V8 counts every returning buffer as a new external allocation); shared arenas are
// allocated once and reused, so the verification path allocates nothing per batch
// (docs/PERFORMANCE.md).

export const VerifyStatus = {
  ok: 0,
  digestMismatch: 1,
  lengthMismatch: 2,
  undecodable: 3,
} as const;
export type VerifyStatus = (typeof VerifyStatus)[keyof typeof VerifyStatus];

/** Per item: offset in arena, stored length, raw length, codec. */
export const DESCRIPTOR_FIELDS = 4;

export interface VerifyTask {
  arena: SharedArrayBuffer;
  descriptors: Uint32Array;
  /** 32 bytes per item: the digests the items claim. */
  digests: Uint8Array;
}

export interface VerifyResult {
  status: Uint8Array;
  /** CRC-32 of each stored payload, for the segment record header. */
  crcs: Uint32Array;
}
