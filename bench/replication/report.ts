// The table of bench/replication/run.sh: per peer the whole copy (its steps summed within a run,
// median over runs, min-max), CPU and the copy's size, each against Haven's pull; then the
// follow-mode lag after each backup.
//
//   node dist/bench/replication/report.js WORKDIR/results/replication.csv WORKDIR/results/lag.csv

import { existsSync, readFileSync } from 'node:fs';
import { median } from '../gc/median.js';
import { table } from '../lib/table.js';

const HAVEN = 'haven';
const MiB = 1024 * 1024;

function csv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = (head as string).split(',');
  return lines.filter((l) => l !== '').map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i] as string, v])));
}
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

const rows = csv(process.argv[2] as string);
const peers = [...new Set(rows.map((r) => r.peer as string))];
const runs = [...new Set(rows.map((r) => r.run as string))];

interface Total {
  seconds: number[];
  cpu: number[];
  bytes: number[];
  fetched: number[];
  failed: boolean;
}
const totals = new Map<string, Total>();
for (const peer of peers) {
  const t: Total = { seconds: [], cpu: [], bytes: [], fetched: [], failed: false };
  for (const run of runs) {
    const rs = rows.filter((r) => r.peer === peer && r.run === run);
    if (rs.length === 0) continue;
    t.seconds.push(rs.reduce((n, r) => n + Number(r.seconds), 0));
    t.cpu.push(rs.reduce((n, r) => n + Number(r.client_cpu_s) + Number(r.srv_cpu_s), 0));
    t.bytes.push(Number(rs[rs.length - 1]?.copy_bytes));
    const f = rs.map((r) => r.fetched_bytes).find((v) => v !== '' && v !== undefined);
    if (f !== undefined) t.fetched.push(Number(f));
    t.failed ||= rs.some((r) => r.exit_code !== '0');
  }
  totals.set(peer, t);
}

const haven = totals.get(HAVEN);
const out: string[][] = [['peer', 'runs', 'copy_s', 'min-max', 'cpu_s', 'copy_MiB', 'fetched_MiB', 'haven_faster', 'ok']];
for (const [peer, t] of totals) {
  const s = median(t.seconds);
  out.push([
    peer, String(t.seconds.length), s.toFixed(2), range(t.seconds), median(t.cpu).toFixed(2), (median(t.bytes) / MiB).toFixed(1),
    t.fetched.length > 0 ? (median(t.fetched) / MiB).toFixed(1) : '-',
    haven && peer !== HAVEN ? `${(s / median(haven.seconds)).toFixed(2)}x` : '-', t.failed ? 'FAILED' : 'yes',
  ]);
}
console.log(table(out));
console.log('\ncopy_s = wall seconds of the copy (rsync-check: rsync -a + havend store check, summed), median over runs;');
console.log('cpu_s = client user+sys + every server\'s CPU; copy_MiB = du -sb of the copy; fetched_MiB = payload the offsite received;');
console.log(`haven_faster = the peer's copy_s / ${HAVEN}'s (goals: >= 3x against restic-copy, >= 1x against rsync-check)`);

const lagPath = process.argv[3];
if (lagPath && existsSync(lagPath)) {
  const lag = csv(lagPath);
  if (lag.length > 0) {
    console.log('\nfollow mode: from the commit on the source to the offsite listing the snapshot');
    console.log(table([['backup', 'backup_s', 'lag_s'], ...lag.map((r) => [r.backup as string, r.backup_seconds as string, r.lag_seconds as string])]));
    const mutated = lag.filter((r) => r.backup?.startsWith('mutated')).map((r) => Number(r.lag_seconds));
    if (mutated.length > 0) console.log(`lag after a mutated backup: median ${median(mutated).toFixed(2)} s, max ${Math.max(...mutated).toFixed(2)} s (goal < 5 s)`);
  }
}
