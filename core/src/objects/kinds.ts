// Object kinds and codecs as they appear on the wire and in segment records.
// The numbers are part of the format (FORMAT.md): never reuse a retired value.

export const ObjectKind = {
  data: 1,
  tree: 2,
  list: 3,
  snapshot: 4,
  /** Marks a snapshot as deleted so that rebuilding the index from segments honours deletions. */
  tombstone: 5,
  /** Protects a snapshot from deletion and pruning, or lifts that (the latest record wins). */
  protection: 6,
} as const;
export type ObjectKind = (typeof ObjectKind)[keyof typeof ObjectKind];
export type ObjectKindName = keyof typeof ObjectKind;

export const Codec = { none: 0, zstd: 1 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

/** Kinds a client may upload; snapshots, tombstones and protections are written by the appliance itself. */
export const CLIENT_KINDS: ReadonlySet<number> = new Set([ObjectKind.data, ObjectKind.tree, ObjectKind.list]);

const kindNames = new Map<number, ObjectKindName>(
  Object.entries(ObjectKind).map(([name, value]) => [value, name as ObjectKindName]),
);

export function kindName(kind: number): ObjectKindName | undefined {
  return kindNames.get(kind);
}

export function isKnownKind(kind: number): kind is ObjectKind {
  return kindNames.has(kind);
}

export function isKnownCodec(codec: number): codec is Codec {
  return codec === Codec.none || codec === Codec.zstd;
}

export const DIGEST_BYTES = 32;
/** Largest raw object: the chunker's 4 MiB maximum, with room for trees and lists. */
export const MAX_OBJECT_BYTES = 8 * 1024 * 1024;

/** Upper bound of a zstd frame for `raw` input bytes (ZSTD_COMPRESSBOUND, rounded up). */
export function zstdBound(raw: number): number {
  return raw + (raw >>> 8) + 128;
}
