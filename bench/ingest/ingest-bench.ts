// bench/ingest: pushes pre-chunked objects into a real havend over loopback and prints
// throughput, the daemon's CPU seconds per GiB and its peak RSS.
//
//   npm run bench:ingest [-- --gib 1 --streams 4 --warmup-mib 128 --dir /var/tmp/haven-bench]
//
// Every scenario starts a fresh daemon on a fresh datastore, so every object is new: each one
// is parsed, verified in the worker pool (decompress + SHA-256), appended and fdatasynced
// exactly as in production. Before the clock starts, a warm-up upload of other objects (an
// aborted session) lets V8 compile the hot paths, as in a daemon that has been running: a
// fresh process spends ~0.1 CPU-s per GiB of a 1 GiB run on its JIT threads. Frames are encoded before the clock starts; the sender's own cost
// is one write per 8 MiB.

import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Zstd } from '../../core/src/compress/zstd.js';
import { sha256, toHex } from '../../core/src/objects/digest.js';
import { encodeFrameHeader } from '../../core/src/objects/frame.js';
import { Codec, ObjectKind } from '../../core/src/objects/kinds.js';
import { MEDIA_FRAMES } from '../../core/src/api/backup.js';
import { buildTreeObjects, sortEntries, type TreeEntry } from '../../core/src/objects/tree.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({
  options: {
    gib: { type: 'string', default: '1' },
    streams: { type: 'string', default: '4' },
    dir: { type: 'string', default: '/var/tmp/haven-bench-ingest' },
    only: { type: 'string' },
    threads: { type: 'boolean', default: false },
    'warmup-mib': { type: 'string', default: '128' },
  },
});
const GIB = Number(values.gib);
const STREAMS = Number(values.streams);
const TOTAL = Math.round(GIB * 1024 ** 3);
const WARMUP = Math.round(Number(values['warmup-mib']) * 1024 ** 2);

interface Scenario {
  name: string;
  objectBytes: number;
  compressible: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: '1 MiB incompressible', objectBytes: 1024 * 1024, compressible: false },
  { name: '15 KiB incompressible', objectBytes: 15 * 1024, compressible: false },
  { name: '1 MiB compressible (zstd)', objectBytes: 1024 * 1024, compressible: true },
  { name: '15 KiB compressible (zstd)', objectBytes: 15 * 1024, compressible: true },
  { name: 'mix: 50% 1 MiB, 50% 15 KiB, half compressible', objectBytes: 0, compressible: true },
];

const zstd = new Zstd();
const words = readFileSync('/usr/share/common-licenses/GPL-3', 'utf8').split(/\s+/);

/** Text-like content that zstd level 3 compresses about 3:1, different in every object. */
function compressibleBytes(n: number): Buffer {
  const r = randomBytes(Math.ceil(n / 5));
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const w = words[((r[i % r.length] as number) * 131 + i) % words.length] as string;
    parts.push(w);
    len += w.length + 1;
    if (i % 97 === 0) {
      parts.push(r.toString('hex', i % r.length, (i % r.length) + 4));
      len += 9;
    }
  }
  const text = Buffer.from(parts.join(' '));
  return text.length >= n ? text.subarray(0, n) : Buffer.concat([text, Buffer.alloc(n - text.length, 0x20)]);
}

interface Prepared {
  streams: Buffer[][]; // per stream, big buffers of concatenated frames
  root: string;
  trees: Buffer[];
  rawBytes: number;
  wireBytes: number;
  objects: number;
}

function prepare(s: Scenario, total: number): Prepared {
  const perStream: Buffer[][] = Array.from({ length: STREAMS }, () => []);
  const pending: Buffer[][] = Array.from({ length: STREAMS }, () => []);
  const pendingBytes = new Array<number>(STREAMS).fill(0);
  const entries: TreeEntry[] = [];
  let raw = 0;
  let wire = 0;
  let n = 0;
  while (raw < total) {
    const size = s.objectBytes || (n % 2 === 0 ? 1024 * 1024 : 15 * 1024);
    const compress = s.objectBytes ? s.compressible : n % 4 < 2;
    const content = compress ? compressibleBytes(size) : randomBytes(size);
    const stored = compress ? zstd.compress(content, 3) : content;
    const digest = sha256(content);
    const header = encodeFrameHeader({ kind: ObjectKind.data, codec: compress ? Codec.zstd : Codec.none, rawLength: content.length, storedLength: stored.length, digest });
    const k = n % STREAMS;
    (pending[k] as Buffer[]).push(header, stored);
    pendingBytes[k] = (pendingBytes[k] as number) + header.length + stored.length;
    if ((pendingBytes[k] as number) >= 8 * 1024 * 1024) {
      (perStream[k] as Buffer[]).push(Buffer.concat(pending[k] as Buffer[]));
      pending[k] = [];
      pendingBytes[k] = 0;
    }
    entries.push({ name: `o${n}`, type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, ctimeNs: 0n, size, data: [digest] });
    raw += size;
    wire += header.length + stored.length;
    n++;
  }
  pending.forEach((p, k) => p.length && (perStream[k] as Buffer[]).push(Buffer.concat(p)));
  const treeObjects = buildTreeObjects(sortEntries(entries)).map((o) => Buffer.from(o));
  const trees = treeObjects.flatMap((t) => [encodeFrameHeader({ kind: ObjectKind.tree, codec: Codec.none, rawLength: t.length, storedLength: t.length, digest: sha256(t) }), t]);
  return { streams: perStream, trees, root: toHex(sha256(treeObjects[treeObjects.length - 1] as Buffer)), rawBytes: raw, wireBytes: wire, objects: n };
}

function procStat(pid: number): { cpu: number; hwm: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return { cpu: ticks / 100, hwm };
}

/** CPU seconds per thread name (main thread, libuv pool, piscina workers, LMDB writer...). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(tid === String(pid) ? `main` : `${name}:${tid}`, (Number(fields[11]) + Number(fields[12])) / 100);
      out.set(`${tid === String(pid) ? "main" : tid}.sys`, Number(fields[12]) / 100);
    } catch {
      // thread ended meanwhile
    }
  }
  return out;
}

function request(url: string, token: string, method: string, path: string, body?: Buffer | Buffer[], type?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method, agent: false, headers: { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      let i = 0;
      const next = (): void => {
        while (i < body.length) if (!req.write(body[i++])) return void req.once('drain', next);
        req.end();
      };
      next();
    } else req.end(body);
  });
}

async function startDaemon(dataDir: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  // HAVEN_BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the daemon.
  const nodeArgs = (process.env.HAVEN_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, join(REPO, 'bin/havend'), 'serve', '--data', dataDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HAVEND_LOG_LEVEL: 'warn' } });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (b: Buffer) => {
      if (process.env.HAVEN_BENCH_DAEMON_LOG) appendFileSync(process.env.HAVEN_BENCH_DAEMON_LOG, b);
      out += b.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    proc.once('exit', (c) => reject(new Error(`havend exited ${c}`)));
  });
  return {
    url,
    pid: proc.pid as number,
    stop: () => new Promise((r) => {
      proc.once('exit', () => r());
      proc.kill('SIGTERM');
    }),
  };
}

async function run(s: Scenario): Promise<string> {
  const p = prepare(s, TOTAL);
  const warmup = WARMUP > 0 ? prepare(s, WARMUP) : null;
  const dataDir = join(values.dir as string, 'daemon');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const token = await new Promise<string>((resolve) => {
    const c = spawn(join(REPO, 'bin/havend'), ['token', 'create', '--data', dataDir, '--scope', 'admin']);
    let t = '';
    c.stdout.on('data', (b: Buffer) => (t += b.toString()));
    c.on('exit', () => resolve(t.trim()));
  });
  const d = await startDaemon(dataDir);
  if (process.env.HAVEN_BENCH_NODE_ARGS) console.log(`  (daemon pid ${d.pid})`);
  try {
    if (warmup) {
      const w = await request(d.url, token, 'POST', '/api/v1/backups', Buffer.from(JSON.stringify({ group: 'warmup' })), 'application/json');
      const ws = (JSON.parse(w.text) as { session: string }).session;
      const results = await Promise.all(warmup.streams.map((bufs) => request(d.url, token, 'POST', `/api/v1/backups/${ws}/chunks`, bufs, MEDIA_FRAMES)));
      for (const r of results) if (r.status !== 200) throw new Error(`warm-up upload failed: ${r.status} ${r.text}`);
      await request(d.url, token, 'DELETE', `/api/v1/backups/${ws}`);
    }
    writeFileSync(`/proc/${d.pid}/clear_refs`, '5');
    const start = await request(d.url, token, 'POST', '/api/v1/backups', Buffer.from(JSON.stringify({ group: 'bench' })), 'application/json');
    const session = (JSON.parse(start.text) as { session: string }).session;
    const before = procStat(d.pid);
    const threadsBefore = threadCpu(d.pid);
    const t0 = process.hrtime.bigint();
    const results = await Promise.all(p.streams.map((bufs) => request(d.url, token, 'POST', `/api/v1/backups/${session}/chunks`, bufs, MEDIA_FRAMES)));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = procStat(d.pid);
    if (values.threads) {
      const threadsAfter = threadCpu(d.pid);
      const parts = [...threadsAfter].map(([name, cpu]) => [name, cpu - (threadsBefore.get(name) ?? 0)] as const).filter(([, c]) => c > 0.005);
      console.log(`  per thread: ${parts.map(([n, c]) => `${n} ${c.toFixed(2)}s`).join(', ')}`);
    }
    for (const r of results) if (r.status !== 200) throw new Error(`upload failed: ${r.status} ${r.text}`);
    await request(d.url, token, 'POST', `/api/v1/backups/${session}/chunks`, p.trees, MEDIA_FRAMES);
    const commit = await request(d.url, token, 'POST', `/api/v1/backups/${session}/commit`, Buffer.from(JSON.stringify({ root: p.root })), 'application/json');
    if (commit.status !== 200) throw new Error(`commit failed: ${commit.text}`);
    const cpuPerGiB = (after.cpu - before.cpu) / (p.rawBytes / 1024 ** 3);
    return [
      s.name.padEnd(48),
      String(p.objects).padStart(8),
      (p.rawBytes / 1e6 / seconds).toFixed(0).padStart(8),
      (p.wireBytes / 1e6 / seconds).toFixed(0).padStart(8),
      cpuPerGiB.toFixed(2).padStart(10),
      (after.hwm / 1048576).toFixed(0).padStart(8),
    ].join(' ');
  } finally {
    await d.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`havend ingest benchmark: ${GIB} GiB per scenario, ${STREAMS} streams, after a ${values['warmup-mib']} MiB warm-up, datastore under ${values.dir}`);
console.log(`${'scenario'.padEnd(48)} ${'objects'.padStart(8)} ${'raw MB/s'.padStart(8)} ${'wire MB/s'.padStart(8)} ${'cpu s/GiB'.padStart(10)} ${'RSS MiB'.padStart(8)}`);
for (const s of SCENARIOS) {
  if (values.only && !s.name.includes(values.only)) continue;
  console.log(await run(s));
}
console.log('raw MB/s: uncompressed object bytes per second; wire MB/s: frame bytes per second;');
console.log('cpu s/GiB: the daemon\'s user+system CPU per GiB of raw objects; RSS: the daemon\'s peak resident set.');
