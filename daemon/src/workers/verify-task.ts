// The message format between the ingest path and the verification workers.
// A batch is one arena (an ArrayBuffer the worker receives by transfer, not by copy)
// holding several stored payloads back to back, plus their descriptors.

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
  arena: ArrayBuffer;
  descriptors: Uint32Array;
  /** 32 bytes per item: the digests the items claim. */
  digests: Uint8Array;
}

export interface VerifyResult {
  arena: ArrayBuffer;
  status: Uint8Array;
  /** CRC-32 of each stored payload, for the segment record header. */
  crcs: Uint32Array;
}
