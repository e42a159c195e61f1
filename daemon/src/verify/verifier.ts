// Re-reads objects from the segments (ChunkStore.onDisk: never the store's memory of recent
// trees, the device's bytes are what is in question) and re-hashes them: the header, the
// payload CRC, decompression and SHA-256 against the digest (segment-reader.ts). Two ways in:
//
// - walkSnapshots: everything a snapshot reaches, trees first; with `skipCovered` an object an
//   earlier run verified is not read again, and a tree verified together with all it reaches
//   (deep) is not descended into, so a new snapshot costs what it added.
// - rotate: tonight's share of every indexed object (its digest's first 32 bits mod t equals
//   the night's number, so t nights cover everything), plus any object not verified for
//   maxAge; read in segment order within each page.
//
// What fails its digest is collected as damaged (the service quarantines it and names the
// snapshots); a read error of the device is a problem, not damage: it proves nothing about
// the record (STORAGE_IO, as in ARCHITECTURE.md "Segment files open through one seam").

import { HavenError } from '../../../core/src/errors.js';
import { digestKey, toHex } from '../../../core/src/objects/digest.js';
import { ObjectKind } from '../../../core/src/objects/kinds.js';
import { decodeList } from '../../../core/src/objects/list.js';
import { decodeTree } from '../../../core/src/objects/tree.js';
import { decodeOrThrow } from '../../../core/src/objects/undecodable.js';
import type { VerifySummary } from '../../../core/src/api/verify.js';
import type { TaskContext } from '../jobs/tasks.js';
import type { BulkCheck, ObjectSource } from '../store/reachability.js';
import type { ObjectListing, Quarantine } from '../store/store-api.js';
import { RECORD_BATCH, type RunProgress, type VerifyRecords } from './verify-records.js';

const DAY_MS = 86_400_000;
const LISTING_PAGE = 4096;
/** Data chunks a walk checks in one bulk read (their parents' order keeps a file's chunks together). */
const DATA_BATCH = 1024;
const MAX_PROBLEMS = 20;

export interface VerifierDeps {
  /** Reads from the segments only. */
  onDisk: ObjectSource & BulkCheck;
  listing: ObjectListing;
  quarantine: Pick<Quarantine, 'isQuarantined'>;
  records: VerifyRecords;
  now: () => number;
}

/** What one run found so far. */
export class Tally {
  snapshots = 0;
  objects = 0;
  bytes = 0;
  covered = 0;
  /** Newly found damaged objects by hex digest, with why. */
  readonly damaged = new Map<string, { digest: Buffer; reason: string }>();
  /** Objects a snapshot reaches that are not stored (hex): a repair from a peer fetches them. */
  readonly missing = new Map<string, Buffer>();
  /**
   * Objects the device failed to read (STORAGE_IO, after the reader's retry), by hex digest,
   * with where: a media error, not damage. Nothing is quarantined for it (the record may be
   * whole: the next run reads it again); the service names the snapshots that reach it.
   */
  readonly unreadable = new Map<string, { digest: Buffer; detail: string }>();
  readonly problems: string[] = [];
  /** Objects already handled in this run (latin1 keys). */
  readonly seen = new Set<string>();

  /** `started`: Unix milliseconds. */
  constructor(readonly started = 0) {}

  summary(now: number): VerifySummary {
    return {
      snapshots: this.snapshots, objects: this.objects, bytes: this.bytes, covered: this.covered,
      damagedObjects: this.damaged.size, problems: [...this.problems], durationMs: Math.max(0, now - this.started),
    };
  }

  problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }
}

interface Item {
  digest: Uint8Array;
  kind: ObjectKind;
}

/** Whether an error means the record itself is bad (quarantine) rather than the device or a race. */
function isDamage(err: unknown): boolean {
  return err instanceof HavenError && (err.code === 'STORE_CORRUPT' || err.code === 'OBJECT_UNDECODABLE');
}

export class Verifier {
  constructor(private readonly deps: VerifierDeps) {}

  /** The night's number in the rotation (days since the epoch, mod t). */
  nightOf(at: number, nights: number): number {
    return Math.floor(at / DAY_MS) % nights;
  }

  private progress(tally: Tally, ctx: TaskContext): RunProgress {
    return { task: ctx.id, summary: tally.summary(this.deps.now()) };
  }

  /** Whether an object belongs to a night's share. */
  inShare(digest: Uint8Array, night: number, nights: number): boolean {
    return Buffer.from(digest.buffer, digest.byteOffset, 4).readUInt32BE(0) % nights === night;
  }

  /**
   * Reads one object again; answers its decoded bytes, or null when it could not be verified
   * (damage or a problem is recorded in the tally; an object gone since it was listed is skipped).
   */
  private async reread(item: Item, tally: Tally, context: string, reached = false): Promise<Buffer | null> {
    try {
      const raw = await this.deps.onDisk.readObject(item.digest, item.kind);
      tally.objects++;
      tally.bytes += raw.length;
      return raw;
    } catch (err) {
      if (err instanceof HavenError && err.code === 'OBJECT_NOT_FOUND') {
        // Listed objects gone since were collected or deleted meanwhile; one a snapshot reaches is missing.
        if (reached) tally.missing.set(toHex(item.digest), Buffer.from(item.digest));
        return null;
      }
      if (isDamage(err)) tally.damaged.set(toHex(item.digest), { digest: Buffer.from(item.digest), reason: (err as Error).message });
      else if (err instanceof HavenError && err.code === 'STORAGE_IO') tally.unreadable.set(toHex(item.digest), { digest: Buffer.from(item.digest), detail: String(err.params['detail']) });
      else tally.problem(`${context}: ${(err as Error).message}`);
      return null;
    }
  }

  /**
   * Checks objects in bulk (ObjectSource's checkEach); one the bulk read could not vouch for is
   * read again alone, which records what is wrong with it. Answers each one's raw length, or
   * null when it could not be verified.
   */
  private async checkEach(items: readonly Item[], tally: Tally, context: (item: Item) => string, reached: boolean): Promise<Array<number | null>> {
    const sizes = items.length === 0 ? [] : await this.deps.onDisk.checkEach(items);
    const out: Array<number | null> = [];
    for (const [i, item] of items.entries()) {
      const size = sizes[i] ?? null;
      if (size !== null) {
        tally.objects++;
        tally.bytes += size;
        out.push(size);
      } else {
        out.push((await this.reread(item, tally, context(item), reached))?.length ?? null);
      }
    }
    return out;
  }

  /** Every snapshot's reach, verified (see the file's comment for skipCovered). */
  async walkSnapshots(snapshots: ReadonlyArray<{ id: string; root: string }>, skipCovered: boolean, tally: Tally, ctx: TaskContext): Promise<void> {
    for (const [i, s] of snapshots.entries()) {
      await this.walkOne(s, skipCovered, tally, ctx);
      tally.snapshots++;
      ctx.progress((i + 1) / snapshots.length, `${i + 1} of ${snapshots.length} snapshot(s): ${tally.objects} object(s) read, ${tally.covered} covered before`);
    }
  }

  private async walkOne(s: { id: string; root: string }, skipCovered: boolean, tally: Tally, ctx: TaskContext): Promise<void> {
    const { records, quarantine } = this.deps;
    // The snapshot's own record too: a rebuilt index is made from it.
    const stack: Item[] = [{ digest: Buffer.from(s.root, 'hex'), kind: ObjectKind.tree }, { digest: Buffer.from(s.id, 'hex'), kind: ObjectKind.snapshot }];
    const trees: Uint8Array[] = [];
    let batch: Array<{ digest: Uint8Array; deep: boolean }> = [];
    const flush = async (): Promise<void> => {
      const written = batch;
      batch = [];
      await records.record(written, this.deps.now(), this.progress(tally, ctx));
    };
    const cleanBefore = tally.damaged.size === 0 && tally.problems.length === 0;
    let clean = true;
    // Data chunks are leaves: they wait here and are checked many at a time.
    let data: Item[] = [];
    const checkData = async (): Promise<void> => {
      const items = data;
      data = [];
      for (const [i, size] of (await this.checkEach(items, tally, () => `snapshot ${s.id}`, true)).entries()) {
        if (size === null) clean = false;
        else batch.push({ digest: (items[i] as Item).digest, deep: false });
      }
      if (batch.length >= RECORD_BATCH) await flush();
    };
    while (stack.length > 0) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const item = stack.pop() as Item;
      const k = digestKey(item.digest);
      if (tally.seen.has(k)) continue;
      tally.seen.add(k);
      if (quarantine.isQuarantined(item.digest)) {
        clean = false; // known damaged: the damage scan names this snapshot
        continue;
      }
      if (skipCovered) {
        const v = records.verification(item.digest);
        if (v && (item.kind !== ObjectKind.tree || v.deep)) {
          tally.covered++;
          continue;
        }
      }
      if (item.kind === ObjectKind.data) {
        data.push(item);
        if (data.length >= DATA_BATCH) await checkData();
        continue;
      }
      const raw = await this.reread(item, tally, `snapshot ${s.id}`, true);
      if (raw === null) {
        clean = false;
        continue;
      }
      batch.push({ digest: item.digest, deep: false });
      if (batch.length >= RECORD_BATCH) await flush();
      try {
        if (item.kind === ObjectKind.tree) {
          trees.push(item.digest);
          const tree = decodeOrThrow(item.digest, 'tree', () => decodeTree(raw));
          if ('parts' in tree) for (const p of tree.parts) stack.push({ digest: p, kind: ObjectKind.tree });
          else {
            for (const e of tree.entries) {
              for (const d of e.data ?? []) stack.push({ digest: d, kind: ObjectKind.data });
              if (e.list) stack.push({ digest: e.list, kind: ObjectKind.list });
              if (e.subtree) stack.push({ digest: e.subtree, kind: ObjectKind.tree });
            }
          }
        } else if (item.kind === ObjectKind.list) {
          const list = decodeOrThrow(item.digest, 'list', () => decodeList(raw));
          for (const d of list.items) stack.push({ digest: d, kind: list.level === 0 ? ObjectKind.data : ObjectKind.list });
        }
      } catch (err) {
        // Hashes right but does not decode: a record a restore cannot use.
        tally.damaged.set(toHex(item.digest), { digest: Buffer.from(item.digest), reason: (err as Error).message });
        clean = false;
      }
    }
    await checkData();
    await flush();
    // Deep only when nothing in this run went wrong before or within this walk: a subtree
    // skipped as already seen in this run was clean then too.
    if (clean && cleanBefore && tally.damaged.size === 0) await records.record(trees.map((digest) => ({ digest, deep: true })), this.deps.now(), this.progress(tally, ctx));
  }

  /** Tonight's share of every stored object, and anything not verified for `maxAgeMs`. */
  async rotate(nights: number, maxAgeMs: number, tally: Tally, ctx: TaskContext): Promise<void> {
    const { listing, onDisk, records, quarantine } = this.deps;
    const now = this.deps.now();
    const night = this.nightOf(now, nights);
    ctx.log(`night ${night + 1} of ${nights}: objects whose digest falls in this share, and those not verified for ${Math.round(maxAgeMs / DAY_MS)} day(s)`);
    const total = Math.max(1, listing.count());
    let listed = 0;
    let after: Buffer | null = null;
    for (;;) {
      const page = listing.page(after, LISTING_PAGE);
      if (page.length === 0) break;
      after = (page[page.length - 1] as { digest: Buffer }).digest;
      listed += page.length;
      const due = page.filter((o) => {
        if (quarantine.isQuarantined(o.digest)) return false;
        if (this.inShare(o.digest, night, nights)) return true;
        const v = records.verification(o.digest);
        return v === undefined || now - v.at > maxAgeMs;
      });
      // In segment order: sequential reads of each segment instead of the digests' random order.
      const placed = due.map((o) => ({ ...o, at: onDisk.locate(o.digest) })).filter((o) => o.at !== undefined);
      placed.sort((a, b) => (a.at?.segment ?? 0) - (b.at?.segment ?? 0) || (a.at?.offset ?? 0) - (b.at?.offset ?? 0));
      const verified: Array<{ digest: Uint8Array; deep: boolean }> = [];
      for (let i = 0; i < placed.length; i += DATA_BATCH) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const some = placed.slice(i, i + DATA_BATCH);
        for (const [j, size] of (await this.checkEach(some, tally, (o) => `object ${toHex(o.digest)}`, false)).entries()) {
          if (size !== null) verified.push({ digest: (some[j] as Item).digest, deep: false });
        }
      }
      await records.record(verified, this.deps.now(), this.progress(tally, ctx));
      ctx.progress(Math.min(1, listed / total), `${listed} of ${total} object(s) looked at, ${tally.objects} read`);
    }
    this.sweep(ctx);
  }

  /** Drops verifications of objects no longer indexed (garbage collection removed them). */
  private sweep(ctx: TaskContext): void {
    const { records, onDisk } = this.deps;
    let after: Buffer | null = null;
    let dropped = 0;
    for (;;) {
      const page = records.digests(after, LISTING_PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1] as Buffer;
      const gone = page.filter((d) => onDisk.locate(d) === undefined);
      records.forget(gone);
      dropped += gone.length;
    }
    if (dropped > 0) ctx.log(`forgot the verifications of ${dropped} object(s) no longer stored`);
  }
}
