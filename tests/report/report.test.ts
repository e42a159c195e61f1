// Reports end to end (issue 15's acceptance: "the JSON and CSV agree with the snapshots and job
// results recorded") with a real havend: backups of `web` with the real client on a per-second
// schedule with a 2-second RPO and a pause that misses slots, a pushed backup of an unplanned
// `db`, a planned `mail` that never backed up, a verification and a drill; then the first
// backup is deleted (as a prune would). The report of an explicit period is cross-checked
// against the snapshots listed through the API (counts, the deleted one included, bytes, durations), missed slots and RPO breaches counted here by brute force, and the
// verification and drill history; the CSV against the JSON; `havend report` against both.
// Then the scheduled summary reaches a webhook as `report.summary`, and its job reports
// success to the dead-man switches.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cron } from 'croner';
import { readAll } from '../../client/src/api/api-client.js';
import type { DatastoreUsage } from '../../core/src/api/datastore.js';
import type { DrillRun, DrillStatus } from '../../core/src/api/drills.js';
import type { PlanEntryStatus } from '../../core/src/api/plan.js';
import type { GroupReport, Report } from '../../core/src/api/reports.js';
import type { SnapshotList, SnapshotSummary } from '../../core/src/api/snapshots.js';
import type { VerifyStatus } from '../../core/src/api/verify.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { sampleBackup } from '../helpers/objects.js';
import { waitFor } from '../helpers/pool-scenario.js';
import { pushBackup } from '../helpers/push.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

const EVERY_SECOND = '* * * * * *';
const MAIL_SCHEDULE = '0 3 * * 1,4';
const RPO_MS = 2000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  assert.equal(field + row.join(''), '', 'the CSV ends with CRLF');
  return rows;
}

/** Missed slots counted slot by slot: no snapshot committed in [slot, next slot). */
function bruteMissed(pattern: string, since: number, until: number, commits: number[]): { expected: number; missed: number } {
  const cron = new Cron(pattern, { paused: true, timezone: 'UTC' });
  let expected = 0;
  let missed = 0;
  for (let slot = cron.nextRun(new Date(since - 1))?.getTime() ?? Infinity; slot < until;) {
    const next = cron.nextRun(new Date(slot))?.getTime() ?? Infinity;
    expected++;
    if (!commits.some((t) => t >= slot && t < next)) missed++;
    slot = next;
  }
  return { expected, missed };
}

/** Breach milliseconds counted one by one: the newest snapshot at or before t is RPO old or older. */
function bruteBreachMs(from: number, to: number, created: number, commits: number[]): number {
  let breach = 0;
  for (let t = from; t < to; t++) {
    const newest = [...commits].reverse().find((c) => c <= t) ?? created;
    if (t - newest >= RPO_MS) breach++;
  }
  return breach;
}

const sum = (xs: SnapshotSummary[], key: string): number => xs.reduce((n, s) => n + (s.stats[key] ?? 0), 0);

test('a report agrees with the snapshots, verification and drills recorded; JSON, CSV and the CLI agree', { timeout: 180_000 }, async (t) => {
  const receiver = await startWebhookReceiver(t, 'report secret');
  const w = await cliWorld(t, { HAVEND_DATASTORE_DIRECT_IO: 'false', HAVEND_REPORTS_SUMMARY_CRON: '*/2 * * * * *', HAVEND_JOBS_DEAD_MAN_CHECK_SECONDS: '1' });
  const admin = w.daemon.client(w.token);
  const web = await admin.json<PlanEntryStatus>('PUT', '/api/v1/plan/web', { rpo: '2s', schedule: EVERY_SECOND });
  await admin.json('PUT', '/api/v1/plan/mail', { rpo: '1w', schedule: MAIL_SCHEDULE });
  const created = Date.parse(web.entry.created);

  const work = tempDir(t);
  mkdirSync(join(work, 'site'));
  for (const f of ['a.bin', 'b.bin']) writeFileSync(join(work, 'site', f), seededBytes(150_000, f));
  await w.json(['backup', '--group', 'web', 'site'], { cwd: work });
  await sleep(2500); // at least one whole second-slot without a backup, and an RPO breach
  writeFileSync(join(work, 'site', 'b.bin'), seededBytes(150_000, 'b changed'));
  await w.json(['backup', '--group', 'web', 'site'], { cwd: work });
  await w.json(['backup', '--group', 'web', 'site'], { cwd: work }); // nothing new: all deduplicated
  await pushBackup(admin, 'db', sampleBackup(3, 4096), { stats: { warnings: 2 }, warnings: ['/srv/a: EACCES', '/srv/b: changed while it was read'] });

  const verified = havend(['verify', '--group', 'web', '--wait', '--json', '--data', w.dataDir]);
  assert.equal(verified.code, EXIT.ok, verified.stderr);
  const drilled = havend(['drill', 'web', '--wait', '--json', '--data', w.dataDir]);
  assert.equal(drilled.code, EXIT.ok, drilled.stderr);
  const drill = JSON.parse(drilled.stdout) as DrillRun;
  await waitFor('verification of the new snapshots ends', 30_000, async () => ((await admin.json<VerifyStatus>('GET', '/api/v1/verify')).running === null ? true : null));
  // The first backup is pruned away: it was still taken, and it kept its slot and the RPO meanwhile.
  const [pruned] = (await admin.json<SnapshotList>('GET', '/api/v1/groups/web/snapshots')).snapshots;
  assert.ok(pruned);
  const deletion = await admin.request('DELETE', `/api/v1/snapshots/${pruned.id}`);
  assert.equal(deletion.statusCode, 204);
  deletion.resume();

  const since = new Date(created).toISOString();
  const until = new Date().toISOString();
  await sleep(1100); // every slot before `until` has its next slot in the past: all are judged
  const query = `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
  const report = await admin.json<Report>('GET', `/api/v1/reports?${query}`);
  const csvResponse = await admin.request('GET', `/api/v1/reports?${query}&format=csv`);
  assert.match(String(csvResponse.headers['content-type']), /^text\/csv/);
  assert.match(String(csvResponse.headers['content-disposition']), /attachment; filename="haven-report-all-.*\.csv"/);
  const csv = (await readAll(csvResponse)).toString('utf8');

  assert.equal(report.since, since);
  assert.equal(report.until, until);
  assert.deepEqual(report.groups.map((g) => g.group), ['db', 'mail', 'web']);
  const byName = (name: string): GroupReport => report.groups.find((g) => g.group === name) as GroupReport;

  // web: against its snapshots as the API lists them
  const snapshots = (await admin.json<SnapshotList>('GET', '/api/v1/groups/web/snapshots')).snapshots;
  const inPeriod = snapshots.filter((s) => s.time >= since && s.time < until);
  assert.equal(inPeriod.length, 2);
  const r = byName('web');
  assert.deepEqual(r.backups, { taken: 3, deletedSince: 1, withWarnings: 0, warnings: 0, first: pruned.time, last: inPeriod[1]?.time });
  assert.deepEqual(r.data, {
    logicalBytes: sum(inPeriod, 'bytes'), newBytes: sum(inPeriod, 'sessionRawBytesNew'), storedNewBytes: sum(inPeriod, 'sessionBytesNew'),
    dedupBytes: inPeriod.reduce((n, s) => n + Math.max(0, (s.stats.bytes ?? 0) - (s.stats.sessionRawBytesNew ?? 0)), 0),
    objectsNew: sum(inPeriod, 'sessionObjectsNew'), objectsDeduplicated: sum(inPeriod, 'sessionHasPresent') + sum(inPeriod, 'sessionObjectsDuplicate'),
  });
  assert.equal(r.data.logicalBytes, 2 * 300_000, 'the pruned backup\'s figures went with its record');
  assert.ok(r.data.dedupBytes > 400_000, 'the unchanged file and the whole third backup were deduplicated (less their new trees)');
  assert.ok(inPeriod.every((s) => (s.stats.sessionDurationMs ?? -1) >= 0), 'each commit records the session\'s duration');
  assert.equal(r.durations.source, 'session');
  assert.equal(r.durations.totalMs, sum(inPeriod, 'sessionDurationMs'));
  assert.equal(r.durations.longestMs, Math.max(...inPeriod.map((s) => s.stats.sessionDurationMs as number)));

  const commits = [pruned, ...snapshots].map((s) => Date.parse(s.time));
  const brute = bruteMissed(EVERY_SECOND, created, Date.parse(until), commits);
  assert.equal(r.missed.status, 'counted');
  assert.equal(r.missed.expected, brute.expected);
  assert.equal(r.missed.missed, brute.missed);
  assert.ok(brute.missed >= 1, 'the pause missed a slot');
  assert.equal(r.missed.pending, null);
  const breachMs = bruteBreachMs(created, Date.parse(until), created, commits);
  assert.ok(breachMs >= 400, 'the pause went past the RPO');
  assert.equal(r.rpo.breachSeconds, Math.floor(breachMs / 1000));
  assert.ok(Math.abs((r.rpo.compliance as number) - (1 - breachMs / (Date.parse(until) - created))) < 1e-9);
  assert.equal(r.rpo.measuredSeconds, Math.floor((Date.parse(until) - created) / 1000));

  const verifyRuns = (await admin.json<VerifyStatus>('GET', '/api/v1/verify')).history
    .filter((v) => v.ended >= since && v.ended < until && (v.group === null || v.group === 'web'));
  assert.ok(verifyRuns.some((v) => v.kind === 'full' && v.group === 'web'));
  assert.deepEqual(r.verification, { runs: verifyRuns.length, failedRuns: 0, damagedSnapshots: [] });
  const drills = (await admin.json<DrillStatus>('GET', '/api/v1/drills')).history;
  assert.equal(drills.length, 1);
  assert.deepEqual(r.drills, {
    runs: 1, passed: 1, failed: 0, passRate: 1, latestRtoEstimateSeconds: drill.rtoEstimateSeconds, rtoTargetSeconds: null,
    latestDrill: drill.ended, latestResult: 'passed',
  });
  assert.equal(r.offsite.configured, false);

  // the unplanned group and the planned one that never backed up
  const db = byName('db');
  assert.deepEqual([db.state, db.planned, db.backups.taken, db.missed.status, db.rpo.compliance], ['UNPLANNED', false, 1, 'unplanned', null]);
  assert.deepEqual([db.backups.withWarnings, db.backups.warnings], [1, 2], 'a backup that reported warnings is counted apart');
  const mail = byName('mail');
  assert.deepEqual([mail.planned, mail.backups.taken, mail.missed.status, mail.missed.schedule], [true, 0, 'counted', MAIL_SCHEDULE]);
  assert.equal(mail.rpo.compliance, 1, 'a week-long RPO is not breached within seconds of the entry');

  // the datastore row
  const usage = await admin.json<DatastoreUsage>('GET', '/api/v1/datastore');
  const d = report.datastore;
  assert.deepEqual([d.backupsTaken, d.backupsWithWarnings, d.missed, d.snapshots, d.groups, d.storedBytes], [4, 1, brute.missed, 3, 2, usage.storedBytes]);
  assert.equal(d.drills, 1);
  assert.equal(d.verificationRuns, (await admin.json<VerifyStatus>('GET', '/api/v1/verify')).history.filter((v) => v.ended >= since && v.ended < until).length);
  assert.equal(d.data.newBytes, r.data.newBytes + db.data.newBytes);

  // the CSV says what the JSON says, row by row
  const rows = parseCsv(csv);
  const header = rows[0] as string[];
  assert.equal(rows.length, 1 + report.groups.length + 1);
  const cell = (row: string[], name: string): string => row[header.indexOf(name)] as string;
  const text = (v: number | string | null): string => (v === null ? '' : String(v));
  for (const [i, g] of report.groups.entries()) {
    const row = rows[i + 1] as string[];
    assert.deepEqual(
      ['scope', 'name', 'since', 'until', 'state', 'backups_taken', 'backups_deleted_since', 'backups_with_warnings', 'warnings', 'missed_slots', 'expected_slots', 'schedule', 'rpo_compliance', 'new_bytes', 'dedup_bytes', 'duration_total_ms', 'verify_runs', 'drills', 'rto_estimate_seconds', 'offsite'].map((c) => cell(row, c)),
      ['group', g.group, since, until, g.state, text(g.backups.taken), text(g.backups.deletedSince), text(g.backups.withWarnings), text(g.backups.warnings), text(g.missed.missed), text(g.missed.expected), text(g.missed.schedule), text(g.rpo.compliance),
        text(g.data.newBytes), text(g.data.dedupBytes), text(g.durations.totalMs), text(g.verification.runs), text(g.drills.runs), text(g.drills.latestRtoEstimateSeconds), 'not configured'],
    );
  }
  const last = rows[rows.length - 1] as string[];
  assert.deepEqual(['scope', 'backups_taken', 'backups_with_warnings', 'stored_bytes', 'snapshots_total', 'new_bytes', 'state'].map((c) => cell(last, c)),
    ['datastore', '4', '1', String(usage.storedBytes), '3', String(d.data.newBytes), '']);
  assert.ok(csv.includes(`"${MAIL_SCHEDULE}"`), 'a field with a comma is quoted');

  // the CLI prints the same report (the RPO states are of the moment each was asked)
  const cli = (format: string): string => {
    const out = havend(['report', '--since', since, '--until', until, '--format', format, '--data', w.dataDir]);
    assert.equal(out.code, EXIT.ok, out.stderr);
    return out.stdout;
  };
  const timeless = (x: Report): unknown => ({ ...x, generated: null, groups: x.groups.map((g) => ({ ...g, state: null })) });
  assert.deepEqual(timeless(JSON.parse(cli('json')) as Report), timeless(report));
  const stateless = (rowsOf: string[][]): string[][] => rowsOf.map((row) => row.filter((_, i) => header[i] !== 'state'));
  assert.deepEqual(stateless(parseCsv(cli('csv'))), stateless(rows));
  assert.match(cli('text'), /^- db \(UNPLANNED\): 1 backup\(s\), 1 with warnings \(2 in all, such as files skipped or changed while read\), unplanned/m);
  assert.match(cli('text'), new RegExp(`^- web \\([A-Z]+\\): 3 backup\\(s\\), RPO 2s kept [0-9.]+% of the time, longest gap \\d+s, ${brute.missed} missed of ${brute.expected} expected, drills 1/1 passed$`, 'm'));
  const bad = havend(['report', '--since', until, '--until', since, '--data', w.dataDir]);
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /since .* must be before until/);
  assert.equal(havend(['report', '--group', 'nope', '--data', w.dataDir]).code, EXIT.failure);
  const one = JSON.parse(havend(['report', '--group', 'web', '--since', since, '--until', until, '--format', 'json', '--data', w.dataDir]).stdout) as Report;
  assert.deepEqual(one.groups.map((g) => g.group), ['web']);
  assert.equal(one.datastore.backupsTaken, 3);
  assert.equal(one.datastore.snapshots, 3, 'the datastore row counts every snapshot stored, whatever the group');

  // the scheduled summary reaches a target that asks for it, and its job is watched
  await admin.json('PUT', '/api/v1/notify/targets/weekly', { channel: { kind: 'webhook', url: receiver.url }, rule: { minSeverity: 'info', kinds: ['report.summary'] } });
  const summary = await waitFor('a report summary reaches the webhook', 30_000, async () => receiver.received.find((h) => h.body.kind === 'report.summary')?.body ?? null);
  assert.equal(summary.status, 'event');
  assert.equal(summary.severity, 'info');
  assert.match(String(summary.message), /^- web \(BREACH\): 0 backup\(s\), RPO 2s kept [0-9.]+% of the time/m);
  assert.match(String(summary.message), /^- db \(UNPLANNED\): 0 backup\(s\), unplanned/m);
  const metrics = await waitFor('the summary job\'s success reaches the dead-man switches', 10_000, async () => {
    const m = (await readAll(await admin.request('GET', '/metrics'))).toString('utf8');
    return /^haven_job_last_success_timestamp_seconds\{job="reports\.summary"\} /m.test(m) ? m : null;
  });
  assert.match(metrics, /^haven_job_overdue\{job="reports\.summary"\} 0$/m);
});
