// bench/e2e/backup-floor.ts: the CPU an initial backup of a dataset cannot avoid, stage by
// stage, to read the end-to-end benchmark's initial-backup figures against.
//
//   npm run bench:backup-floor -- DATASET [--level 4]
//
// One thread, the dataset's files from the page cache (read once first), the datastore's
// chunk sizes (256 KiB / 1 MiB / 4 MiB), every stage over what a backup really processes:
//   read      every regular file, into reused buffers;
//   chunk     FastCDC cut points (the addon's, as a backup uses);
//   hash      SHA-256 of every chunk (content addressing, on the client);
//   compress  zstd at --level of every distinct chunk the uploader's probe lets through
//             (what the store-size target needs), the probes included;
//   verify    the appliance's check of every distinct chunk: decompress and SHA-256 again
//             (DESIGN section 3: nothing is stored unverified).
// Left out, so the sum is a floor: the walk and its stat calls, trees, `has`, HTTP on both
// sides, segment writes and syncs, indexing, the commit. On two cores, a backup lasting W
// seconds has at most 2W CPU-seconds; the sum over 2 is the shortest wall time possible.

import { closeSync, openSync, readSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHUNKER_ALGORITHM } from '../../core/src/api/wire-constants.js';
import { createCutter } from '../../core/src/chunker/cutter.js';
import { Zstd } from '../../core/src/compress/zstd.js';
import { sha256 } from '../../core/src/objects/digest.js';
import { CompressionProbe } from '../../client/src/backup/compression-probe.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { level: { type: 'string', default: '4' } } });
const dataset = positionals[0];
if (!dataset) {
  console.error('usage: backup-floor DATASET [--level N]');
  process.exit(2);
}
const level = Number(values.level);

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const list = files(dataset);
const stages = { read: 0, chunk: 0, hash: 0, compress: 0, verify: 0 };
const cutter = createCutter({ algorithm: CHUNKER_ALGORITHM, seed: '00'.repeat(32), minSize: 256 << 10, avgSize: 1 << 20, maxSize: 4 << 20 });
const zstd = new Zstd();
const probe = new CompressionProbe(zstd, 1 / 32);
const seen = new Set<string>();
let bytes = 0;
let distinctBytes = 0;
let storedBytes = 0;
let chunks = 0;

for (const p of list) {
  const size = lstatSync(p).size;
  if (size === 0) continue;
  let t = cpu();
  const buf = Buffer.allocUnsafe(size);
  const fd = openSync(p, 'r');
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  closeSync(fd);
  let now = cpu();
  stages.read += now - t;
  t = now;
  const cuts: number[] = [];
  for (let pos = 0; pos < got;) {
    const n = cutter.cut(buf, pos, got);
    cuts.push(n);
    pos += n;
  }
  now = cpu();
  stages.chunk += now - t;
  let pos = 0;
  for (const n of cuts) {
    const chunk = buf.subarray(pos, pos + n);
    pos += n;
    chunks++;
    t = cpu();
    const digest = sha256(chunk);
    now = cpu();
    stages.hash += now - t;
    const k = digest.toString('latin1');
    if (seen.has(k)) continue;
    seen.add(k);
    distinctBytes += n;
    t = now;
    // As the uploader does: compressed only when the probe lets it through and it saves at least 1/32.
    const z = probe.worthCompressing(chunk) ? zstd.compress(chunk, level) : chunk;
    now = cpu();
    stages.compress += now - t;
    const compressed = z.length <= n * (1 - 1 / 32);
    storedBytes += compressed ? z.length : n;
    t = now;
    sha256(compressed ? zstd.decompress(z, n) : chunk);
    stages.verify += cpu() - t;
  }
  bytes += got;
}

const total = Object.values(stages).reduce((a, b) => a + b, 0);
const mib = (b: number): string => (b / 1048576).toFixed(1);
console.log(`dataset ${dataset}: ${list.length} files, ${mib(bytes)} MiB, ${chunks} chunks, ${mib(distinctBytes)} MiB distinct, ${mib(storedBytes)} MiB after zstd level ${level}`);
for (const [stage, s] of Object.entries(stages)) console.log(`${stage.padEnd(9)} ${s.toFixed(2).padStart(6)} CPU-s`);
console.log(`${'sum'.padEnd(9)} ${total.toFixed(2).padStart(6)} CPU-s: no initial backup on two cores can take less than ${(total / 2).toFixed(2)} s`);
