// Reads a snapshot back through the API and checks every object against its digest:
// bit-exact by construction (SHA-256), with the tree walked the way a restore walks it.

import assert from 'node:assert/strict';
import { Zstd } from '../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../core/src/objects/digest.js';
import { FrameParser } from '../../core/src/objects/frame.js';
import { Codec } from '../../core/src/objects/kinds.js';
import { decodeList } from '../../core/src/objects/list.js';
import { decodeTree } from '../../core/src/objects/tree.js';
import { readAll, type ApiClient } from '../../client/src/api/api-client.js';
import { ALL_KINDS_FOR_READ } from './kinds.js';

const zstd = new Zstd();

async function fetchObjects(api: ApiClient, snapshot: string, digests: Uint8Array[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < digests.length; i += 1024) {
    const batch = digests.slice(i, i + 1024);
    const res = await api.objects(snapshot, Buffer.concat(batch));
    const parser = new FrameParser(
      {
        begin: (h) => Buffer.allocUnsafe(h.storedLength),
        end: (h, payload) => {
          const raw = h.codec === Codec.zstd ? zstd.decompress(payload, h.rawLength) : Buffer.from(payload);
          assert.ok(sha256(raw).equals(Buffer.from(h.digest)), `object ${toHex(h.digest)} reads back with different content`);
          out.set(toHex(h.digest), raw);
        },
      },
      { maxStored: 16 << 20, allowedKinds: ALL_KINDS_FOR_READ },
    );
    parser.push(await readAll(res));
    parser.finish();
    for (const d of batch) assert.ok(out.has(toHex(d)), `object ${toHex(d)} was not returned`);
  }
  return out;
}

/** Walks the whole snapshot; returns the number of data bytes verified. */
export async function verifySnapshot(api: ApiClient, snapshotId: string): Promise<number> {
  const snap = await api.snapshot(snapshotId);
  let bytes = 0;
  let trees: Uint8Array[] = [Buffer.from(snap.root, 'hex')];
  while (trees.length > 0) {
    const objects = await fetchObjects(api, snap.id, trees);
    const next: Uint8Array[] = [];
    const data: Uint8Array[] = [];
    const lists: Uint8Array[] = [];
    for (const raw of objects.values()) {
      const tree = decodeTree(raw);
      if ('parts' in tree) next.push(...tree.parts);
      else
        for (const e of tree.entries) {
          if (e.subtree) next.push(e.subtree);
          if (e.data) data.push(...e.data);
          if (e.list) lists.push(e.list);
        }
    }
    while (lists.length > 0) {
      const got = await fetchObjects(api, snap.id, lists.splice(0));
      for (const raw of got.values()) {
        const l = decodeList(raw);
        (l.level === 0 ? data : lists).push(...l.items);
      }
    }
    for (const raw of (await fetchObjects(api, snap.id, data)).values()) bytes += raw.length;
    trees = next;
  }
  return bytes;
}
