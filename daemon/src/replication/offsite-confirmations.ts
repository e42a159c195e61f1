// On the source: what each offsite has confirmed. An offsite asks for "the changes after N"
// only once it has committed everything up to N (peer-puller.ts keeps that promise: its
// cursor moves only after the snapshots a page named are committed, and the head it reads
// before a full pull comes with the page, never by paging ahead). So the cursor of a
// replication token's latest changes request is the offsite's confirmation: every snapshot
// whose feed sequence is at or before it is held offsite. Kept per token (id and name) in
// the state db (`offsite-confirmations`), with when the request came; written when the
// cursor moves and at most once a minute otherwise (a follower asks every 25 s).
//
// The source trusts the offsite to pull every group its token covers: a peer limited to some
// groups (`peer add --groups`) moves its cursor past the others too.

import type { Database } from 'lmdb';
import type { FeedCursor } from '../../../core/src/api/replication.js';
import type { EventBus } from '../events.js';
import type { StateDb } from '../state/state-db.js';

export interface OffsiteConfirmation {
  tokenId: string;
  tokenName: string;
  /** The cursor the offsite asked from; null: from the feed's start (nothing confirmed). */
  cursor: FeedCursor | null;
  /** ISO 8601: when that request came. */
  at: string;
}

const WRITE_EVERY_MS = 60_000;

export class OffsiteConfirmations {
  private readonly db: Database<OffsiteConfirmation, string>;
  /** The latest request per token (the db copy may be up to a minute older). */
  private readonly latest = new Map<string, OffsiteConfirmation>();

  constructor(state: StateDb, private readonly bus: EventBus, private readonly now: () => number = Date.now) {
    this.db = state.db<OffsiteConfirmation>('offsite-confirmations');
  }

  /** A replication token asked for the changes after `cursor`. */
  note(token: { id: string; name: string }, cursor: FeedCursor | null): void {
    const at = new Date(this.now()).toISOString();
    const before = this.get(token.id);
    const record: OffsiteConfirmation = { tokenId: token.id, tokenName: token.name, cursor, at };
    this.latest.set(token.id, record);
    const moved = before === null || !sameCursor(before.cursor, cursor);
    if (moved || Date.parse(at) - Date.parse(before.at) >= WRITE_EVERY_MS) void this.db.put(token.id, record);
    if (moved) this.bus.emit('offsite.confirmed', record);
  }

  get(tokenId: string): OffsiteConfirmation | null {
    return this.latest.get(tokenId) ?? this.db.get(tokenId) ?? null;
  }
}

function sameCursor(a: FeedCursor | null, b: FeedCursor | null): boolean {
  return a === b || (a !== null && b !== null && a.epoch === b.epoch && a.seq === b.seq);
}
