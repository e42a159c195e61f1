import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHavenError, readAll } from '../../client/src/api/api-client.js';
import type { ApiClient } from '../../client/src/api/api-client.js';
import { createToken, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

async function scrape(api: ApiClient): Promise<{ type: string; values: Map<string, number> }> {
  const res = await api.request('GET', '/metrics');
  const values = new Map<string, number>();
  for (const line of (await readAll(res)).toString('utf8').split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1] as string, Number(m[2]));
  }
  return { type: String(res.headers['content-type']), values };
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('GET /metrics needs the metrics scope (or admin) and reports ingest, dedup and snapshots per group', async (t) => {
  const dataDir = tempDir(t);
  const tokens = { metrics: createToken(dataDir, 'metrics'), admin: createToken(dataDir, 'admin'), a: createToken(dataDir, 'backup:a') };
  const d = await startDaemon(t, { dataDir });
  const metrics = d.client(tokens.metrics);

  await assert.rejects(d.client('hvn_0000000000000000_' + 'x'.repeat(43)).request('GET', '/metrics'), (e: unknown) => isHavenError(e, 'UNAUTHORIZED'));
  await assert.rejects(d.client(tokens.a).request('GET', '/metrics'), (e: unknown) => isHavenError(e, 'FORBIDDEN'));
  await assert.rejects(metrics.json('GET', '/api/v1/tokens'), (e: unknown) => isHavenError(e, 'FORBIDDEN'), 'a metrics token reads metrics only');
  const empty = await scrape(d.client(tokens.admin));
  assert.equal(empty.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(empty.values.get('haven_sessions_active'), 0);
  for (const area of ['daemon', 'ingest', 'datastore', 'disks', 'jobs']) {
    assert.equal(empty.values.get(`haven_metrics_collector_up{area="${area}"}`), 1, `collector ${area}`);
  }
  assert.equal(empty.values.get('haven_alerts_open{severity="critical"}'), 0);

  const backupA = sampleBackup(10, 40_000);
  const backupB = sampleBackup(4, 30_000);
  const api = d.client(tokens.admin);
  await pushBackup(api, 'a', backupA);
  await pushBackup(api, 'a', backupA); // all present: nothing uploaded
  await pushBackup(api, 'b', backupB);
  const open = await api.startBackup({ group: 'b' });

  const uploaded = [...backupA.objects, ...backupB.objects];
  const storedBytes = uploaded.reduce((n, o) => n + o.stored.length, 0);
  const logical = 2 * 10 * 40_000 + 4 * 30_000;
  let m = await scrape(metrics);
  await eventually('the logical size of every snapshot', async () => {
    m = await scrape(metrics);
    return m.values.get('haven_datastore_logical_bytes') === logical;
  });
  const v = m.values;
  assert.equal(v.get('haven_ingest_received_bytes_total'), storedBytes);
  assert.equal(v.get('haven_ingest_stored_bytes_total'), storedBytes);
  assert.equal(v.get('haven_ingest_objects_total{outcome="new"}'), uploaded.length);
  assert.equal(v.get('haven_ingest_objects_total{outcome="present"}'), backupA.objects.length);
  assert.equal(v.get('haven_sessions_started_total'), 4);
  assert.equal(v.get('haven_sessions_ended_total{state="committed"}'), 3);
  assert.equal(v.get('haven_sessions_active'), 1);
  // one has batch per pushed backup, each in some bucket; the buckets are cumulative
  assert.equal(v.get('haven_ingest_has_duration_seconds_count'), 3);
  assert.equal(v.get('haven_ingest_has_duration_seconds_bucket{le="+Inf"}'), 3);
  assert.ok((v.get('haven_ingest_has_duration_seconds_bucket{le="0.001"}') as number) <= (v.get('haven_ingest_has_duration_seconds_bucket{le="30"}') as number));
  assert.ok((v.get('haven_ingest_has_duration_seconds_sum') as number) > 0);
  assert.equal(v.get('haven_snapshots{group="a"}'), 2);
  assert.equal(v.get('haven_snapshots{group="b"}'), 1);
  const age = v.get('haven_snapshot_newest_age_seconds{group="a"}') as number;
  assert.ok(age >= 0 && age < 60, `age ${age}`);
  const stored = v.get('haven_datastore_stored_bytes') as number;
  assert.ok(stored > storedBytes, 'segments hold the payloads plus record headers and snapshot records');
  assert.ok(Math.abs((v.get('haven_dedup_ratio') as number) - logical / stored) < 1e-9);
  assert.ok((v.get('haven_dedup_ratio') as number) > 1.5, 'the second backup of group a deduplicated entirely');
  await api.abort(open.session);
});
