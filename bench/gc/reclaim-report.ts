// The table of bench/gc/reclaim.sh: medians over the runs of each peer's reclaim steps, then per
// peer the whole reclaim (its steps' sum within a run) and the space left, against restic-rest.
//
//   node dist/bench/gc/reclaim-report.js WORKDIR/results/reclaim.csv

import { readFileSync } from 'node:fs';
import { median } from './median.js';
import { table } from '../lib/table.js';

interface Row {
  run: string;
  peer: string;
  step: string;
  seconds: number;
  clientCpu: number;
  srvCpu: number;
  bytes: number;
  alloc: number;
  code: number;
  /** For havend gc: the GC task's own duration; NaN where the step reports none. */
  task: number;
}

const MiB = 1024 * 1024;
const YARDSTICK = 'restic-rest';

function parse(path: string): Row[] {
  const [, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [run, peer, step, seconds, clientCpu, srvCpu, bytes, alloc, code, task] = line.split(',') as string[];
    return {
      run: run as string, peer: peer as string, step: step as string, seconds: Number(seconds), clientCpu: Number(clientCpu),
      srvCpu: Number(srvCpu), bytes: Number(bytes), alloc: Number(alloc), code: Number(code),
      task: task ? Number(task) : NaN,
    };
  });
}


const mib = (b: number): string => (b / MiB).toFixed(1);
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

const rows = parse(process.argv[2] as string);
const peers = [...new Set(rows.map((r) => r.peer))];
const runs = [...new Set(rows.map((r) => r.run))];

const stepRows: string[][] = [['peer', 'step', 'secs', 'min-max', 'task_s', 'cpu_s', 'srv_cpu', 'repo_MiB', 'alloc_MiB', 'rc']];
for (const peer of peers) {
  const steps = [...new Set(rows.filter((r) => r.peer === peer).map((r) => r.step))];
  for (const step of steps) {
    const rs = rows.filter((r) => r.peer === peer && r.step === step);
    stepRows.push([
      peer, step, median(rs.map((r) => r.seconds)).toFixed(2), range(rs.map((r) => r.seconds)),
      rs.some((r) => Number.isNaN(r.task)) ? '-' : median(rs.map((r) => r.task)).toFixed(2),
      median(rs.map((r) => r.clientCpu + r.srvCpu)).toFixed(2), median(rs.map((r) => r.srvCpu)).toFixed(2),
      mib(median(rs.map((r) => r.bytes))), mib(median(rs.map((r) => r.alloc))), String(Math.max(...rs.map((r) => r.code))),
    ]);
  }
}
console.log(table(stepRows));
console.log('\ntask_s = the GC task\'s own duration as havend gc reports it (the rest of secs: the command\'s start and its polling);');
console.log('cpu_s = client user+sys + server CPU (srv_cpu: rclone serve restic, havend); repo_MiB = du -sb, alloc_MiB = du -sB1 after the step\n');

interface PeerTotal {
  seconds: number[];
  cpu: number[];
  before: number;
  after: number;
  afterAlloc: number;
}
const totals = new Map<string, PeerTotal>();
for (const peer of peers) {
  const of = rows.filter((r) => r.peer === peer);
  const perRun = runs.map((run) => of.filter((r) => r.run === run && r.step !== 'before'));
  const last = (rs: Row[]): Row => rs[rs.length - 1] as Row;
  const complete = perRun.filter((rs) => rs.length > 0);
  totals.set(peer, {
    seconds: complete.map((rs) => rs.reduce((n, r) => n + r.seconds, 0)),
    cpu: complete.map((rs) => rs.reduce((n, r) => n + r.clientCpu + r.srvCpu, 0)),
    before: median(of.filter((r) => r.step === 'before').map((r) => r.bytes)),
    after: median(complete.map((rs) => last(rs).bytes)),
    afterAlloc: median(complete.map((rs) => last(rs).alloc)),
  });
}
const yard = totals.get(YARDSTICK);
const sumRows: string[][] = [['peer', 'runs', 'reclaim_s', 'min-max', 'cpu_s', 'before_MiB', 'left_MiB', 'left_alloc_MiB', `faster_than_${YARDSTICK}`, 'left_vs', 'alloc_vs']];
for (const [peer, t] of totals) {
  const s = median(t.seconds);
  sumRows.push([
    peer, String(t.seconds.length), s.toFixed(2), range(t.seconds), median(t.cpu).toFixed(2), mib(t.before), mib(t.after), mib(t.afterAlloc),
    yard ? `${(median(yard.seconds) / s).toFixed(2)}x` : '-', yard ? `${(t.after / yard.after).toFixed(3)}x` : '-',
    yard ? `${(t.afterAlloc / yard.afterAlloc).toFixed(3)}x` : '-',
  ]);
}
console.log(table(sumRows));
console.log(`\nreclaim_s = the peer's steps in one run, summed (median over runs); left = repository size after the last step;`);
console.log(`faster_than = ${YARDSTICK}'s reclaim_s / the peer's; left_vs, alloc_vs = the peer's space left / ${YARDSTICK}'s (apparent, on disk)`);
