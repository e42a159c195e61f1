// Ingest counters since the daemon started, from the session events the push protocol
// already emits (each carries the session's cumulative stats; we add the growth since the
// session's previous event). A session resumed after a restart is counted from its first
// event here on: what it received before the restart was counted by the previous process.

import type { SessionInfo, SessionStats } from '../../../core/src/api/backup.js';
import type { EventBus } from '../events.js';
import type { Histogram } from './histogram.js';
import { counter, gauge, type MetricFamily } from './registry.js';

type Totals = Pick<SessionStats, 'bytesReceived' | 'bytesNew' | 'rawBytesNew' | 'objectsNew' | 'objectsDuplicate' | 'hasPresent' | 'hasQueried'>;
const FIELDS: ReadonlyArray<keyof Totals> = ['bytesReceived', 'bytesNew', 'rawBytesNew', 'objectsNew', 'objectsDuplicate', 'hasPresent', 'hasQueried'];

function zero(): Totals {
  return { bytesReceived: 0, bytesNew: 0, rawBytesNew: 0, objectsNew: 0, objectsDuplicate: 0, hasPresent: 0, hasQueried: 0 };
}

export class IngestMeter {
  private readonly totals = zero();
  private readonly lastSeen = new Map<string, Totals>();
  private readonly ended = { committed: 0, aborted: 0 };
  private readonly started = { count: 0 };

  constructor(private readonly bus: EventBus, private readonly openSessions: () => number, private readonly hasLatency: Histogram) {}

  start(): void {
    this.bus.on(this, 'session.started', (s) => {
      this.started.count++;
      this.lastSeen.set(s.id, zero());
    });
    this.bus.on(this, 'session.progress', (s) => this.observe(s));
    this.bus.on(this, 'session.ended', (s) => {
      this.observe(s);
      this.lastSeen.delete(s.id);
      if (s.state === 'committed' || s.state === 'aborted') this.ended[s.state]++;
    });
  }

  stop(): void {
    this.bus.removeListeners(this);
  }

  private observe(s: SessionInfo): void {
    const before = this.lastSeen.get(s.id);
    const now = zero();
    for (const f of FIELDS) now[f] = s.stats[f];
    // First sight of a session opened before this process started: its earlier stats are not ours.
    if (before) for (const f of FIELDS) this.totals[f] += Math.max(0, now[f] - before[f]);
    this.lastSeen.set(s.id, now);
  }

  collect(): MetricFamily[] {
    const t = this.totals;
    return [
      counter('haven_ingest_received_bytes_total', 'Payload bytes received in upload streams (as sent, possibly compressed)', t.bytesReceived),
      counter('haven_ingest_stored_bytes_total', 'Bytes written to the datastore because their objects were new (as stored)', t.bytesNew),
      counter('haven_ingest_stored_raw_bytes_total', 'Uncompressed size of the new objects written to the datastore', t.rawBytesNew),
      counter('haven_ingest_objects_total', 'Objects clients offered, by outcome: new (stored), duplicate (uploaded but already stored), present (a has answer spared the upload)', [
        { labels: { outcome: 'new' }, value: t.objectsNew },
        { labels: { outcome: 'duplicate' }, value: t.objectsDuplicate },
        { labels: { outcome: 'present' }, value: t.hasPresent },
      ]),
      counter('haven_ingest_has_queried_total', 'Digests asked about in has batches', t.hasQueried),
      this.hasLatency.family('haven_ingest_has_duration_seconds', 'Time from a has batch\'s arrival to its answer'),
      counter('haven_sessions_started_total', 'Backup sessions started', this.started.count),
      counter('haven_sessions_ended_total', 'Backup sessions ended, by final state', [
        { labels: { state: 'committed' }, value: this.ended.committed },
        { labels: { state: 'aborted' }, value: this.ended.aborted },
      ]),
      gauge('haven_sessions_active', 'Backup sessions open now (including ones resumed after a restart)', this.openSessions()),
    ];
  }
}
