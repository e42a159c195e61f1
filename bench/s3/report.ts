// The table of bench/s3/run.sh: per phase the wall seconds of Haven on local disk, Haven on S3
// and restic on S3 (medians over runs), the two goals (Haven on S3 at least as fast as restic
// on S3; Haven's ingest on S3 at least 70% of its local-disk rate), CPU, the time until the
// bucket holds everything after each backup, and the stores' sizes.
//
//   node dist/bench/s3/report.js WORKDIR/results

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from '../gc/median.js';
import { table } from '../lib/table.js';

const MiB = 1024 * 1024;
const INGEST_GOAL = 0.7;

function csv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = (head as string).split(',');
  return lines.filter((l) => l !== '').map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i] as string, v])));
}
const dir = process.argv[2] as string;
const rows = csv(join(dir, 's3.csv'));
const uploads = csv(join(dir, 'uploads.csv'));
const sizes = csv(join(dir, 'sizes.csv'));
const runs = new Set(rows.map((r) => r.run)).size;

/** Median of a column over runs for one peer and phase; null when never measured. */
function fig(peer: string, phase: string, column = 'seconds'): number | null {
  const xs = rows.filter((r) => r.peer === peer && r.phase === phase).map((r) => Number(r[column]));
  return xs.length > 0 ? median(xs) : null;
}
const cpu = (peer: string, phase: string): number | null => {
  const c = fig(peer, phase, 'client_cpu_s');
  return c === null ? null : c + (fig(peer, phase, 'srv_cpu_s') ?? 0) + (fig(peer, phase, 'gw_cpu_s') ?? 0);
};
const s = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
const ratio = (a: number | null, b: number | null): string => (a === null || b === null || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);
const bad = (peer: string, phase: string): boolean => rows.some((r) => r.peer === peer && r.phase === phase && (r.exit_code !== '0' || r.verify === 'FAIL'));

const out: string[][] = [['phase', 'haven-s3 as', 'haven-local', 'haven-s3', 'restic-s3', 's3/local rate', 'vs restic', 'goals met']];
const phases: Array<[string, string, boolean]> = [
  ['initial', 'initial', true], ['mutated', 'mutated', true], ['restore', 'restore-warm', false], ['restore', 'restore-cold', false],
];
for (const [phase, s3Phase, ingest] of phases) {
  const local = fig('haven-local', phase);
  const s3 = fig('haven-s3', s3Phase);
  const restic = fig('restic-s3', phase);
  const rate = local !== null && s3 !== null ? local / s3 : null; // a rate ratio: time local / time on S3
  const asFast = restic !== null && s3 !== null && s3 <= restic;
  const goals = [asFast ? 'restic: yes' : 'restic: NO'];
  if (ingest) goals.push(rate !== null && rate >= INGEST_GOAL ? '70%: yes' : '70%: NO');
  const failed = bad('haven-local', phase) || bad('haven-s3', s3Phase) || bad('restic-s3', phase);
  out.push([phase, s3Phase, s(local), s(s3), s(restic), ratio(local, s3), ratio(restic, s3), failed ? 'FAILED' : goals.join(', ')]);
}
console.log(`wall seconds, median of ${runs} run(s):`);
console.log(table(out));

const cpuRows: string[][] = [['phase', 'haven-s3 as', 'haven-local', 'haven-s3', 'restic-s3', 'haven-s3 gateway', 'restic gateway']];
for (const [phase, s3Phase] of phases) {
  cpuRows.push([phase, s3Phase, s(cpu('haven-local', phase)), s(cpu('haven-s3', s3Phase)), s(cpu('restic-s3', phase)),
    s(fig('haven-s3', s3Phase, 'gw_cpu_s')), s(fig('restic-s3', phase, 'gw_cpu_s'))]);
}
console.log('\nCPU seconds (client + havend + the Ceph daemons during the phase; the last two columns: Ceph alone):');
console.log(table(cpuRows));

const fetched = fig('haven-s3', 'restore-cold', 'fetched_bytes');
const upRows: string[][] = [['after', 'not uploaded at its end MiB', 'queue empty s', 'all in the bucket s']];
for (const after of ['initial', 'mutated']) {
  const us = uploads.filter((u) => u.after === after);
  const m = (col: string): string => (us.length === 0 || us.some((u) => u[col] === '') ? '-' : median(us.map((u) => Number(u[col]))).toFixed(2));
  upRows.push([after, us.length === 0 ? '-' : (median(us.map((u) => Number(u.not_uploaded_bytes_at_start))) / MiB).toFixed(1), m('queue_empty_s'), m('all_uploaded_s')]);
}
console.log('\nHaven on S3, from the end of the backup until the bucket holds everything (uploads run behind ingest):');
console.log(table(upRows));

const sizeRows: string[][] = [['peer', 'where', 'MiB']];
for (const [peer, where] of [['haven-local', 'local'], ['haven-s3', 'bucket'], ['haven-s3', 'local'], ['restic-s3', 'bucket']] as const) {
  const xs = sizes.filter((r) => r.peer === peer && r.where === where).map((r) => Number(r.bytes));
  sizeRows.push([peer, where, xs.length > 0 ? (median(xs) / MiB).toFixed(1) : '-']);
}
console.log('\nstores after the mutated backup (haven-s3 local: LMDB index + segment cache):');
console.log(table(sizeRows));
console.log(`\nrestore-warm: every segment in haven-s3's local cache; restore-cold: after a restart with datastore.s3.cacheBytes 0, every span a ranged GET (${fetched === null ? '-' : (fetched / MiB).toFixed(1)} MiB fetched).`);
console.log('s3/local rate = haven-local seconds / haven-s3 seconds (goal for initial and mutated: >= 0.70); vs restic = restic-s3 seconds / haven-s3 seconds (goal: >= 1.00).');
console.log(`load average over the run's phases (load1 at each start): ${rows.map((r) => r.load1).join(' ')}`);
