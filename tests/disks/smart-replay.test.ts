// Fixture-backed run: a real havend reads SMART from captures in `disks.smartReplayDir`.
// A series of captures of one disk whose reallocated-sector count grows turns it passed,
// then warning, then failing, each with the right reason; an acknowledged warning stays
// quiet until the counter grows again. History keeps every reading.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiskList, DiskRecord } from '../../core/src/api/disks.js';
import type { AlertInfo } from '../../core/src/api/jobs.js';
import type { HistoryResponse, SmartReport } from '../../core/src/api/smart.js';
import { createToken, startDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/smart/', import.meta.url));
const HEALTHY = readFileSync(`${FIXTURES}ata-hdd-wd140edfz-healthy.json`, 'utf8');

/** The healthy WD capture with attribute 5's raw count set to `n` (text edit: nothing else changes). */
function withReallocated(n: number): string {
  const re = /("id": 5,\s*"name": "Reallocated_Sector_Ct"[\s\S]*?"raw": \{\s*"value": )0(,\s*"string": ")0(")/;
  assert.match(HEALTHY, re);
  return HEALTHY.replace(re, `$1${n}$2${n}$3`);
}

/** Replaces the capture atomically, as a test or a lab script should. */
function put(dir: string, name: string, content: string): void {
  writeFileSync(join(dir, `${name}.tmp`), content);
  renameSync(join(dir, `${name}.tmp`), join(dir, name));
}

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 8000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a replayed series: passed, warning, acknowledged and quiet, worse again, failing', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const replay = join(dir, 'captures');
  mkdirSync(replay);
  put(replay, 'bay1.json', withReallocated(0));
  const token = createToken(data, 'admin');
  const daemon = await startDaemon(t, {
    dataDir: data,
    env: {
      HAVEND_DISKS_DISCOVERY: 'false', // only the replayed disk: independent of the host's disks
      HAVEND_DISKS_SMART_REPLAY_DIR: replay,
      HAVEND_DISKS_SMART_POLL_SECONDS: '1',
      HAVEND_DISKS_HOTPLUG_POLL_MS: '200',
    },
  });
  const api = daemon.client(token);
  const disk = async (): Promise<DiskRecord | null> => (await api.json<DiskList>('GET', '/api/v1/disks')).disks[0] ?? null;
  const alert = async (id: string): Promise<AlertInfo | null> =>
    (await api.json<{ alerts: AlertInfo[] }>('GET', '/api/v1/alerts')).alerts.find((a) => a.key === `disk.smart:${id}`) ?? null;
  const verdict = (v: string) => async () => {
    const d = await disk();
    return d?.health.verdict === v ? d : null;
  };

  const healthy = await until('passed', verdict('passed'));
  assert.equal(healthy.serial, '9RK1XXXX');
  assert.equal(healthy.model, 'WDC WD140EDFZ-11A0VA0');
  assert.match(healthy.health.reasons[0]?.message ?? '', /SMART health passed.*5 reallocated sectors=0/);
  assert.equal(await alert(healthy.id), null);

  put(replay, 'bay1.json', withReallocated(8));
  const warned = await until('warning', verdict('warning'));
  const text = warned.health.reasons.map((r) => r.message).join(' | ');
  assert.match(text, /attribute 5 Reallocated_Sector_Ct: 8 reallocated sectors/);
  assert.match(text, /reallocated sectors \(attribute 5\) grew from 0 to 8 in the last 1 day/);
  const raised = await until('alert raised', () => alert(warned.id));
  assert.equal(raised.severity, 'warning');
  assert.equal(raised.acknowledged, null);

  const acked = await api.json<DiskRecord>('POST', `/api/v1/disks/${warned.id}/acknowledge`, { note: 'known; replacement ordered' });
  assert.equal(acked.health.acknowledged?.note, 'known; replacement ordered');
  // Two more polls of the same evidence: still acknowledged, not raised again.
  const first = (await api.json<SmartReport>('GET', `/api/v1/disks/${warned.id}/smart`)).checkedAt;
  await until('two more polls', async () => {
    const r = await api.json<SmartReport>('GET', `/api/v1/disks/${warned.id}/smart`);
    return r.checkedAt !== first && Date.parse(r.checkedAt ?? '') - Date.parse(first ?? '') >= 1500 ? r : null;
  });
  const quiet = await alert(warned.id);
  assert.equal(quiet?.reraised, 0);
  assert.equal(quiet?.acknowledged?.note, 'known; replacement ordered');
  assert.equal((await disk())?.health.acknowledged?.note, 'known; replacement ordered');

  // The counter grows (still below the failing threshold): the warning is raised again.
  put(replay, 'bay1.json', withReallocated(9));
  const again = await until('raised again', async () => {
    const a = await alert(warned.id);
    return a && a.reraised === 1 ? a : null;
  });
  assert.equal(again.acknowledged, null);
  assert.match(again.message, /9 reallocated sectors/);
  const unacked = await disk();
  assert.equal(unacked?.health.verdict, 'warning');
  assert.equal(unacked?.health.acknowledged, null);
  // Acknowledged through the alerts API this time: the disk shows it too.
  await api.json<AlertInfo>('POST', `/api/v1/alerts/${again.id}/acknowledge`, { note: 'seen again' });
  // The disk mirrors the alert's acknowledgement when it hears alert.changed, just after the answer.
  await until('acknowledgement mirrored into the disk', async () => ((await disk())?.health.acknowledged?.note === 'seen again' ? true : null));

  put(replay, 'bay1.json', withReallocated(150));
  const failing = await until('failing', verdict('failing'));
  assert.match(failing.health.reasons[0]?.message ?? '', /150 reallocated sectors/);
  assert.equal((await alert(failing.id))?.severity, 'critical');
  assert.equal(failing.id, healthy.id, 'the same disk throughout');

  const history = await api.json<HistoryResponse>('GET', `/api/v1/disks/${failing.id}/history`);
  const seen = [...new Set(history.points.filter((p) => p.tier === 'raw').map((p) => p.counters['ata.5']))];
  assert.deepEqual(seen, [0, 8, 9, 150]);
  assert.equal(history.points.at(-1)?.temperatureC, 32);

  // A capture that is not JSON: no SMART data with the reason, never `passed`.
  put(replay, 'bay1.json', '{ truncated');
  const broken = await until('unknown', verdict('unknown'));
  assert.match(broken.health.reasons[0]?.message ?? '', /^no SMART data: capture bay1\.json gave no usable JSON/);
});
