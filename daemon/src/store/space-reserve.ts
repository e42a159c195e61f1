// The datastore's free-space reserve (issue 13). Client uploads are refused with STORAGE_FULL
// once they would leave less than the reserve free on the datastore's file system; everything
// else still writes: commit records, deletion tombstones, protection records, and the work that
// gives space back (prune, GC, compaction copying live records into a new segment before the
// old one is unlinked). That is why it is a threshold and not a placeholder file: a placeholder
// has to be deleted by someone before the appliance can clean up, and nothing stops uploads from
// eating the space it freed; a threshold keeps the room for the appliance's own writes always.
// See docs/ARCHITECTURE.md, "Full disk".
//
// Free space is read with statfs at most once a second while uploads fit comfortably, and again
// before any refusal unless the reading is younger than REREAD_MS, so space given back (by GC,
// by an admin) is seen at the next upload with no manual step. Between readings every admitted
// byte counts as used: bytes admitted since the reading began, and bytes admitted before it but
// not yet written then (the reading could not see them). A burst of parallel upload streams
// therefore cannot overshoot the reserve by more than the index's growth, which is what the
// automatic reserve's headroom is for.
//
// The state people see (an alert, the dashboard, `havend info`) has hysteresis: it turns on at
// the first refusal (or a reading below the reserve) and off only once free space is back to
// the reserve plus a quarter. A refusal leaves free space anywhere between the reserve and the
// reserve plus one batch, and the alert must not clear there only to be raised again by the
// next backup's first batch.

import { statfs } from 'node:fs/promises';
import { HavenError } from '../../../core/src/errors.js';
import { RECORD_HEADER_BYTES } from './record-format.js';

const MiB = 1024 * 1024;

/** Index headroom of the automatic reserve: LMDB pages for commits, tombstones and GC's transactions. */
export const INDEX_HEADROOM_BYTES = 256 * MiB;

/** A reading older than this is renewed before the next admission. */
const MAX_AGE_MS = 1000;
/** A refusal rests on a reading at most this old (statfs is cheap; refusals are rare). */
const REREAD_MS = 100;
/** Uploads count as refused until free space is back to the reserve plus this fraction of it. */
const RESUME_ABOVE_RESERVE = 0.25;

/** `datastore.reserveBytes`, or when it is 0 the automatic reserve. */
export function effectiveReserveBytes(config: { reserveBytes: number; segmentMaxBytes: number }): number {
  // Two segments: the one uploads were appending to may be nearly full when they stop, and
  // compaction writes a whole new segment before it may unlink the old ones.
  return config.reserveBytes > 0 ? config.reserveBytes : 2 * config.segmentMaxBytes + INDEX_HEADROOM_BYTES;
}

export interface FreeSpace {
  freeBytes: number;
  capacityBytes: number;
}

export type FreeSpaceProbe = (path: string) => Promise<FreeSpace>;

/**
 * Blocks available to unprivileged users: havend runs as root, but the file system's own root
 * reserve (ext4's 5 %) is the administrator's, not the datastore's to fill.
 */
export const statfsProbe: FreeSpaceProbe = async (path) => {
  const s = await statfs(path);
  return { freeBytes: s.bavail * s.bsize, capacityBytes: s.blocks * s.bsize };
};

export interface ReserveStatus {
  /** Free bytes now: the last reading less what was admitted and not visible in it (never below 0). */
  freeBytes: number;
  capacityBytes: number;
  reserveBytes: number;
  /** On at the first refused upload (or a reading below the reserve), off once free space is back to the reserve plus a quarter. */
  uploadsRefused: boolean;
  /** When free space was last read (ISO time), null before the first reading. */
  checkedAt: string | null;
}

/** Bytes admitted for one batch; settle() once they are written (or failed to be). */
export interface UploadAdmission {
  settle(): void;
}

/** What an upload stream asks before it appends: room for this many objects of this many stored bytes. */
export interface UploadSpace {
  admit(request: { objects: number; bytes: number }): Promise<UploadAdmission>;
}

export interface SpaceReserveDeps {
  /** The datastore directory; read on every statfs (the pool can move the datastore). */
  root: () => string;
  reserveBytes: number;
  now: () => number;
  probe?: FreeSpaceProbe;
  /** A change listener that throws is reported here: it must not fail the upload that changed the state. */
  onListenerError: (err: unknown) => void;
}

interface Reading {
  free: number;
  capacity: number;
  at: number;
  /** Bytes admitted before the reading began and not yet written then. */
  unseen: number;
}

export class SpaceReserve implements UploadSpace {
  private reading: Reading | null = null;
  /** Admitted and not yet settled. */
  private pending = 0;
  /** Admitted since the current reading began. */
  private sinceReading = 0;
  private inFlight: Promise<void> | null = null;
  private refused = false;
  private readonly listeners = new Set<(status: ReserveStatus) => void>();
  private readonly probe: FreeSpaceProbe;

  constructor(private readonly deps: SpaceReserveDeps) {
    this.probe = deps.probe ?? statfsProbe;
  }

  get reserveBytes(): number {
    return this.deps.reserveBytes;
  }

  /** Admits a batch or throws STORAGE_FULL; the bytes count as used from now on. */
  async admit(request: { objects: number; bytes: number }): Promise<UploadAdmission> {
    const charge = request.bytes + request.objects * RECORD_HEADER_BYTES;
    const age = this.reading === null ? Infinity : this.deps.now() - this.reading.at;
    if (age >= MAX_AGE_MS || (!this.fits(charge) && age >= REREAD_MS)) await this.read();
    if (!this.fits(charge)) {
      this.setRefused(true);
      throw new HavenError('STORAGE_FULL', {}, {
        details: { freeBytes: Math.max(0, this.estimate()), reserveBytes: this.deps.reserveBytes, requestedBytes: charge },
      });
    }
    this.pending += charge;
    this.sinceReading += charge;
    let settled = false;
    return {
      settle: () => {
        if (settled) return;
        settled = true;
        this.pending -= charge;
      },
    };
  }

  /** Reads free space now: below the reserve uploads count as refused, back to the reserve plus a quarter they no longer do. */
  async refresh(): Promise<ReserveStatus> {
    await this.read();
    if (!this.fits(0)) this.setRefused(true);
    else if (this.fits(this.deps.reserveBytes * RESUME_ABOVE_RESERVE)) this.setRefused(false);
    return this.status();
  }

  status(): ReserveStatus {
    return {
      freeBytes: this.reading ? Math.max(0, this.estimate()) : 0,
      capacityBytes: this.reading?.capacity ?? 0,
      reserveBytes: this.deps.reserveBytes,
      uploadsRefused: this.refused,
      checkedAt: this.reading ? new Date(this.reading.at).toISOString() : null,
    };
  }

  /** Calls `listener` whenever uploads start or stop being refused; returns the unsubscriber. */
  onChange(listener: (status: ReserveStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private estimate(): number {
    const r = this.reading;
    return r ? r.free - r.unseen - this.sinceReading : 0;
  }

  private fits(charge: number): boolean {
    return this.reading !== null && this.estimate() - charge >= this.deps.reserveBytes;
  }

  /** One statfs at a time; concurrent callers share it. */
  private read(): Promise<void> {
    this.inFlight ??= (async () => {
      const unseen = this.pending;
      const admittedBefore = this.sinceReading;
      const root = this.deps.root();
      try {
        const fs = await this.probe(root);
        this.reading = { free: fs.freeBytes, capacity: fs.capacityBytes, at: this.deps.now(), unseen };
        this.sinceReading -= admittedBefore;
      } catch (err) {
        throw new HavenError('STORAGE_IO', { detail: `cannot read the free space of ${root}: ${(err as Error).message}` }, { cause: err });
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  private setRefused(refused: boolean): void {
    if (refused === this.refused) return;
    this.refused = refused;
    const status = this.status();
    for (const listener of this.listeners) {
      try {
        listener(status);
      } catch (err) {
        this.deps.onListenerError(err);
      }
    }
  }
}
