// SMART history in the state db, downsampled (DESIGN section 5): every reading for 15 days,
// hourly buckets for 9 weeks, daily buckets for years. Each reading updates its hour and day
// bucket as it is recorded (temperature min/max/mean, counters as at the bucket's end), so
// pruning only deletes: raw samples older than 15 days, hourly buckets older than 9 weeks.

import type { Database } from 'lmdb';
import type { HistoryPoint, HistoryTier } from '../../../../core/src/api/smart.js';
import type { StateDb } from '../../state/state-db.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const RAW_KEEP_MS = 15 * DAY;
export const HOURLY_KEEP_MS = 63 * DAY;

export interface Sample {
  t: number;
  temperatureC: number | null;
  powerOnHours: number | null;
  counters: Record<string, number>;
}

interface Stored {
  temperatureC: number | null;
  temperatureMinC: number | null;
  temperatureMaxC: number | null;
  temperatureSum: number;
  temperatureCount: number;
  powerOnHours: number | null;
  counters: Record<string, number>;
  samples: number;
}

type Key = [string, number, number]; // disk id, tier code, time (ms)
const TIER_CODE: Record<HistoryTier, number> = { raw: 0, hourly: 1, daily: 2 };
const TIERS: HistoryTier[] = ['raw', 'hourly', 'daily'];

export class SmartHistory {
  private readonly db: Database<Stored, Key>;

  constructor(state: StateDb) {
    this.db = state.db<Stored, Key>('smart-history');
  }

  async add(diskId: string, s: Sample): Promise<void> {
    await this.db.transaction(() => {
      this.merge([diskId, TIER_CODE.raw, s.t], s, true);
      this.merge([diskId, TIER_CODE.hourly, s.t - (s.t % HOUR)], s, false);
      this.merge([diskId, TIER_CODE.daily, s.t - (s.t % DAY)], s, false);
    });
  }

  /** The oldest raw sample at or after `since` (the trend baseline), or null. */
  baseline(diskId: string, since: number): { counters: Record<string, number>; at: number } | null {
    for (const { key, value } of this.db.getRange({ start: [diskId, TIER_CODE.raw, since], end: [diskId, TIER_CODE.raw, Number.MAX_SAFE_INTEGER], limit: 1 })) {
      return { counters: value.counters, at: (key as Key)[2] };
    }
    return null;
  }

  /** Points between `from` and `to`, each period from its finest kept tier. */
  query(diskId: string, from: number, to: number, now = Date.now()): HistoryPoint[] {
    const rawFrom = now - RAW_KEEP_MS;
    const hourlyFrom = now - HOURLY_KEEP_MS;
    const ranges: Array<[HistoryTier, number, number]> = [
      ['daily', from, Math.min(to, hourlyFrom - (hourlyFrom % DAY))],
      ['hourly', Math.max(from, hourlyFrom - (hourlyFrom % DAY)), Math.min(to, rawFrom - (rawFrom % HOUR))],
      ['raw', Math.max(from, rawFrom - (rawFrom % HOUR)), to + 1],
    ];
    const out: HistoryPoint[] = [];
    for (const [tier, start, end] of ranges) {
      if (end <= start) continue;
      for (const { key, value } of this.db.getRange({ start: [diskId, TIER_CODE[tier], start], end: [diskId, TIER_CODE[tier], end] })) {
        out.push({
          t: (key as Key)[2], tier, temperatureC: value.temperatureCount > 0 ? Math.round((value.temperatureSum / value.temperatureCount) * 10) / 10 : null,
          temperatureMinC: value.temperatureMinC, temperatureMaxC: value.temperatureMaxC, powerOnHours: value.powerOnHours,
          counters: value.counters, samples: value.samples,
        });
      }
    }
    return out;
  }

  /** Deletes what the retention has moved into coarser tiers. */
  async prune(now = Date.now()): Promise<number> {
    let removed = 0;
    const ids = new Set<string>();
    for (const key of this.db.getKeys()) ids.add((key as Key)[0]);
    for (const id of ids) {
      for (const [tier, keep] of [[TIER_CODE.raw, RAW_KEEP_MS], [TIER_CODE.hourly, HOURLY_KEEP_MS]] as const) {
        for (const key of this.db.getKeys({ start: [id, tier, 0], end: [id, tier, now - keep] })) {
          await this.db.remove(key);
          removed++;
        }
      }
    }
    return removed;
  }

  async purge(diskId: string): Promise<void> {
    for (const tier of TIERS) {
      for (const key of this.db.getKeys({ start: [diskId, TIER_CODE[tier], 0], end: [diskId, TIER_CODE[tier], Number.MAX_SAFE_INTEGER] })) {
        await this.db.remove(key);
      }
    }
  }

  private merge(key: Key, s: Sample, replace: boolean): void {
    const old = replace ? undefined : this.db.get(key);
    const t = s.temperatureC;
    const next: Stored = {
      temperatureC: t,
      temperatureMinC: t === null ? old?.temperatureMinC ?? null : Math.min(t, old?.temperatureMinC ?? t),
      temperatureMaxC: t === null ? old?.temperatureMaxC ?? null : Math.max(t, old?.temperatureMaxC ?? t),
      temperatureSum: (old?.temperatureSum ?? 0) + (t ?? 0),
      temperatureCount: (old?.temperatureCount ?? 0) + (t === null ? 0 : 1),
      powerOnHours: s.powerOnHours ?? old?.powerOnHours ?? null,
      counters: { ...(old?.counters ?? {}), ...s.counters },
      samples: (old?.samples ?? 0) + 1,
    };
    void this.db.put(key, next);
  }
}
