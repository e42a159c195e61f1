// Marking: everything reachable from a root is marked in the candidate set, each tree and
// list read once however many snapshots share it (a marked object is never read again). Data
// objects are only marked, never read. Objects that are no candidates (appended after the
// run's horizon) have no mark bit: the trees and lists among them are remembered by digest
// so that they too are walked once; they are few (what arrived since the oldest open session).
//
// The walk yields to the event loop every few milliseconds: the daemon keeps answering
// uploads while a collection marks.

import { HavenError } from '../../../core/src/errors.js';
import { digestKey } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { decodeOrThrow } from '../../../core/src/objects/undecodable.js';
import { scanTreeRefs } from '../../../core/src/objects/tree-refs.js';
import type { ObjectSource } from '../store/reachability.js';
import type { CandidateSet } from './candidate-set.js';

const SLICE_MS = 8;
/** Trees and lists read at once (the thread pool serves four; a few more keep it busy). */
const READ_AHEAD = 8;

interface Pending {
  digest: Uint8Array;
  kind: ObjectKind;
}

export class Marker {
  /** Trees and lists walked that have no mark bit of their own (latin1 digest keys). */
  private readonly walkedOther = new Set<string>();
  /** References to objects the index does not hold (a damaged store; reported, never fatal to keeping). */
  missing = 0;
  /** Trees and lists read. */
  read = 0;
  private sliceEnd = 0;

  constructor(private readonly source: ObjectSource, readonly candidates: CandidateSet) {}

  /** Whether the walk reached `digest` (candidates by mark bit, others when walked). */
  reached(digest: Uint8Array): boolean {
    // A candidate walked has its bit set (a shared prefix also sets it: the safe side), so only
    // the others are looked up by digest.
    const id = this.candidates.indexOf(digest);
    return id >= 0 ? this.candidates.isMarked(id) : this.walkedOther.has(digestKey(digest));
  }

  /** Marks an object whose kind the index knows (pins, object holds); unknown digests are ignored. */
  async markIndexed(digest: Uint8Array): Promise<void> {
    // Most pins were reached from a snapshot already (a shared prefix proves nothing: walk it).
    const id = this.candidates.indexOf(digest);
    if (id >= 0 && this.candidates.isMarked(id) && !this.candidates.isAmbiguous(id)) return;
    const loc = this.source.locate(digest);
    if (loc) await this.mark(digest, loc.kind);
  }

  /** Marks `digest` and everything below it. */
  async mark(digest: Uint8Array, kind: ObjectKind): Promise<void> {
    const stack: Pending[] = [];
    if (this.reach(digest, kind)) stack.push({ digest, kind });
    while (stack.length > 0) {
      if (performance.now() > this.sliceEnd) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.sliceEnd = performance.now() + SLICE_MS;
      }
      // Several reads in flight: one at a time, the walk waited on each read's round trip.
      const wave = stack.splice(Math.max(0, stack.length - READ_AHEAD));
      const raws = await Promise.all(wave.map((p) => this.readOrMissing(p)));
      wave.forEach((p, i) => {
        const raw = raws[i];
        if (raw) this.follow(p, raw, stack);
      });
    }
  }

  /** An object's bytes, or null when the index no longer has it (counted as missing). */
  private async readOrMissing({ digest, kind }: Pending): Promise<Buffer | null> {
    try {
      const raw = await this.source.readObject(digest, kind);
      this.read++;
      return raw;
    } catch (err) {
      // Reclaimed by nobody (collections run one at a time): the reference was dangling.
      if (err instanceof HavenError && err.code === 'OBJECT_NOT_FOUND') {
        this.missing++;
        return null;
      }
      throw err;
    }
  }

  /** Reaches a tree's or list's children; those to read go on the stack. */
  private follow({ digest: d, kind: k }: Pending, raw: Buffer, stack: Pending[]): void {
    if (k === ObjectKind.tree) {
      // References only: names and metadata are skipped, not decoded (tree-refs.ts).
      const refs = decodeOrThrow(d, 'tree', () => scanTreeRefs(raw));
      for (const p of refs.parts ?? []) if (this.reach(p, ObjectKind.tree)) stack.push({ digest: p, kind: ObjectKind.tree });
      for (const c of refs.data) this.reach(c, ObjectKind.data);
      for (const l of refs.lists) if (this.reach(l, ObjectKind.list)) stack.push({ digest: l, kind: ObjectKind.list });
      for (const t of refs.subtrees) if (this.reach(t, ObjectKind.tree)) stack.push({ digest: t, kind: ObjectKind.tree });
    } else if (k === ObjectKind.list) {
      const list = decodeOrThrow(d, 'list', () => decodeList(raw));
      const childKind = list.level === 0 ? ObjectKind.data : ObjectKind.list;
      for (const c of list.items) if (this.reach(c, childKind) && childKind === ObjectKind.list) stack.push({ digest: c, kind: childKind });
    }
  }

  /** Marks one object; true when it is a tree or list reached for the first time (to be read). */
  private reach(digest: Uint8Array, kind: ObjectKind): boolean {
    const id = this.candidates.indexOf(digest);
    const walks = kind === ObjectKind.tree || kind === ObjectKind.list;
    if (id >= 0) {
      const fresh = this.candidates.mark(id);
      if (!walks) return false;
      if (!this.candidates.isAmbiguous(id)) return fresh;
    } else if (!walks) {
      return false;
    }
    // Not a candidate, or a candidate sharing its prefix: remembered by full digest.
    const k = digestKey(digest);
    if (this.walkedOther.has(k)) return false;
    this.walkedOther.add(k);
    return true;
  }
}
