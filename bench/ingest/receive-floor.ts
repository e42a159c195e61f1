// bench/ingest/receive-floor.ts: what the cheapest possible ingest costs on this machine, to
// read bench/ingest's CPU-seconds per GiB against.
//
//   npm run bench:receive-floor [-- --gib 1 --streams 4]
//
// 1. A Node HTTP server that only receives upload bodies and discards them, fed over loopback
//    like ingest-bench (4 streams, 8 MiB writes, the sender in another process): the receiving
//    process's CPU per GiB, user and system.
// 2. SHA-256 of 1 MiB buffers through node:crypto (SHA-NI here) per GiB, which the daemon must
//    spend on every new object it accepts (DESIGN section 3).
// Their sum is a floor under the daemon's CPU per GiB of incompressible objects: it leaves out
// parsing frames, the record CRC, writing and syncing segments and indexing.

import http from 'node:http';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    gib: { type: 'string', default: '1' },
    streams: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
  },
});
const GIB = Number(values.gib);
const STREAMS = Number(values.streams);
const WRITE = 8 << 20;
const WRITES_PER_STREAM = Math.round((GIB * 1024 ** 3) / WRITE / STREAMS);
const BYTES = WRITES_PER_STREAM * WRITE * STREAMS;

// The sender runs in its own process, so its CPU is not the receiver's (as with ingest-bench).
const SENDER = `
const http = require('node:http');
const [port, streams, writes, size] = process.argv.slice(1).map(Number);
const buf = Buffer.alloc(size, 0x5a);
let left = streams;
for (let s = 0; s < streams; s++) {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', agent: false }, (res) => {
    res.resume();
    res.on('end', () => { if (--left === 0) process.exit(0); });
  });
  let i = 0;
  const next = () => {
    while (i < writes) { i++; if (!req.write(buf)) return void req.once('drain', next); }
    req.end();
  };
  next();
}`;

async function receiveOnce(): Promise<{ user: number; system: number; received: number }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (b: Buffer) => (received += b.length));
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const before = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', SENDER, String(port), String(STREAMS), String(WRITES_PER_STREAM), String(WRITE)], { stdio: 'inherit' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sender exited ${code}`))));
  });
  const used = process.cpuUsage(before);
  server.close();
  return { user: used.user / 1e6, system: used.system / 1e6, received };
}

function sha256PerGiB(): number {
  const buf = randomBytes(1 << 20);
  const before = process.cpuUsage();
  for (let i = 0; i < 1024; i++) createHash('sha256').update(buf).digest();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

const perGiB = (s: number): string => (s / (BYTES / 1024 ** 3)).toFixed(2);
console.log(`receive floor: ${(BYTES / 1024 ** 3).toFixed(2)} GiB per run over ${STREAMS} loopback HTTP streams, receiver discards the bodies`);
console.log(`${'run'.padEnd(6)} ${'user s/GiB'.padStart(10)} ${'sys s/GiB'.padStart(10)} ${'recv s/GiB'.padStart(10)} ${'sha256 s/GiB'.padStart(12)} ${'floor s/GiB'.padStart(11)}`);
for (let r = 1; r <= Number(values.runs); r++) {
  const rx = await receiveOnce();
  if (rx.received !== BYTES) throw new Error(`received ${rx.received} of ${BYTES} bytes`);
  const sha = sha256PerGiB();
  const recv = rx.user + rx.system;
  console.log(`${String(r).padEnd(6)} ${perGiB(rx.user).padStart(10)} ${perGiB(rx.system).padStart(10)} ${perGiB(recv).padStart(10)} ${sha.toFixed(2).padStart(12)} ${(Number(perGiB(recv)) + sha).toFixed(2).padStart(11)}`);
}
console.log('recv: the receiving process\'s CPU (HTTP over loopback; over loopback it includes transmit work the');
console.log('sender\'s packets cause in the receiver\'s context); floor = recv + SHA-256 of the same bytes.');
