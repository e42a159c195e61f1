// Backups that were taken and deleted since (pruned, or deleted by an admin): the catalogue no
// longer lists them, but a report of a past period must still count them as taken, or every
// pruned hourly backup would read as a missed slot and an RPO breach. The datastore's change
// feed records each commit (with the snapshot's time) and each deletion; this follows it from
// a cursor, kept in memory, so each report reads only the changes since the last one.
//
// What is lost with the record: a deleted snapshot's stats (its data and duration are not in
// the report) and whether verification had found it damaged (it counts as good). A rebuilt
// index starts a new feed epoch whose history begins with the snapshots that survived.

import type { ChangeFeed, FeedCursor } from '../store/store-api.js';

const PAGE = 5000;

export class DeletedCommits {
  private cursor: FeedCursor | null = null;
  /** Snapshots the feed says exist: id -> group and commit time (ms). */
  private readonly live = new Map<string, { group: string; time: number }>();
  /** Per group, commit times of snapshots deleted since, unsorted. */
  private readonly gone = new Map<string, number[]>();

  constructor(private readonly feed: Pick<ChangeFeed, 'after'>) {}

  /** Commit times (ms, ascending) of the group's snapshots that were deleted after they committed. */
  of(group: string): number[] {
    this.catchUp();
    return [...(this.gone.get(group) ?? [])].sort((a, b) => a - b);
  }

  private catchUp(): void {
    for (;;) {
      const page = this.feed.after(this.cursor, PAGE);
      if (page.reset) {
        this.live.clear();
        this.gone.clear();
      }
      for (const c of page.changes) {
        if (c.type === 'committed') {
          this.live.set(c.snapshot, { group: c.group, time: Date.parse(c.time) });
          continue;
        }
        // protection changes leave a snapshot where it was
        if (c.type !== 'deleted') continue;
        const was = this.live.get(c.snapshot);
        if (!was) continue;
        this.live.delete(c.snapshot);
        const times = this.gone.get(was.group) ?? [];
        times.push(was.time);
        this.gone.set(was.group, times);
      }
      this.cursor = page.cursor;
      if (page.changes.length < PAGE) return;
    }
  }
}
