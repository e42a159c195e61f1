// The pool's state as metrics, from the last pool check (a scrape runs no btrfs command).

import type { PoolHealth, PoolStatus } from '../../../core/src/api/pool.js';
import { gauge, type MetricFamily, type Sample } from '../metrics/registry.js';

const HEALTHS: readonly PoolHealth[] = ['healthy', 'degraded', 'errors', 'unavailable'];

export function poolFamilies(s: PoolStatus | null): MetricFamily[] {
  if (!s) return [];
  const pool = { pool: s.name, kind: s.kind };
  const errors: Sample[] = [];
  const missing: Sample[] = [];
  for (const m of s.members) {
    for (const [kind, value] of Object.entries(m.errors)) errors.push({ labels: { pool: s.name, devid: String(m.devid), disk: m.diskId ?? '', kind }, value });
    missing.push({ labels: { pool: s.name, devid: String(m.devid), disk: m.diskId ?? '' }, value: m.missing ? 1 : 0 });
  }
  const families = [
    gauge('haven_pool_health', 'Pool health (1 for the current state)', HEALTHS.map((h) => ({ labels: { ...pool, health: h }, value: s.health === h ? 1 : 0 }))),
    gauge('haven_pool_member_missing', 'Whether a pool member is missing (the pool then runs degraded)', missing),
    gauge('haven_pool_device_errors', 'btrfs per-device error counters (they only grow)', errors),
  ];
  if (s.usage) {
    families.push(gauge('haven_pool_used_bytes', 'Bytes used on the pool, every copy counted', [{ labels: pool, value: s.usage.usedBytes }]));
    families.push(gauge('haven_pool_free_bytes', 'Usable bytes left, as btrfs estimates them for the profile', [{ labels: pool, value: s.usage.freeBytes }]));
  }
  if (s.scrub) {
    const c = s.scrub.counters;
    families.push(gauge('haven_pool_scrub_errors', 'Errors the last scrub found, corrected and could not correct', [
      { labels: { pool: s.name, kind: 'found' }, value: c.readErrors + c.csumErrors + c.verifyErrors + c.superErrors },
      { labels: { pool: s.name, kind: 'corrected' }, value: c.correctedErrors },
      { labels: { pool: s.name, kind: 'uncorrectable' }, value: c.uncorrectableErrors },
    ]));
  }
  return families;
}
