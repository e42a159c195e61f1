// Two real havend on 127.0.0.1 with separate state directories: a source that clients back
// up to, and an offsite that pulls from it with a replication token of the source. The
// offsite's admin commands run through its control socket with the real havend CLI.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { PeerStatus } from '../../core/src/api/replication.js';
import { createPosixOps } from '../../client/src/fs/posix-ops.js';
import { runBounded, type BoundedResult } from './bounded-run.js';
import { HAVEND, createToken, startDaemon, type Daemon } from './daemon.js';
import { haven, type CliOptions, type CliResult } from './haven-cli.js';
import { seededBytes } from './real-data.js';
import { describeTree } from './tree-compare.js';
import { tempDir } from './tmp.js';

export interface Side {
  dataDir: string;
  daemon: Daemon;
  /** A `backup:<group>` token of this side (the offsite's restores from its copy). */
  token: string;
  /** Runs the haven CLI against this side with `token`. */
  haven(args: string[], options?: CliOptions): Promise<CliResult>;
  restart(): Promise<void>;
}

export interface Pair {
  source: Side;
  offsite: Side;
  /** Where the offsite peer's token file lies (a `replicate` token of the source). */
  tokenFile: string;
  /** havend with `--data` of the offsite, asynchronously and bounded. */
  havend(args: string[], timeoutMs?: number): Promise<BoundedResult>;
  peerStatus(name: string): Promise<PeerStatus>;
}

async function side(t: TestContext, group: string, home: string, listen?: string, env?: NodeJS.ProcessEnv, entry?: string): Promise<Side> {
  const dataDir = tempDir(t, 'haven-repl-');
  const token = createToken(dataDir, `backup:${group}`);
  const start = (): Promise<Daemon> => startDaemon(t, { dataDir, ...(listen ? { listen } : {}), ...(env ? { env } : {}), ...(entry ? { entry } : {}) });
  const s: Side = {
    dataDir, token, daemon: await start(),
    haven: (args, options = {}) => haven(args, {
      ...options,
      env: { ...(s.daemon.fingerprint ? { HAVEN_FINGERPRINT: s.daemon.fingerprint } : {}), HAVEN_SERVER: s.daemon.url, HAVEN_TOKEN: token, HAVEN_CACHE_DIR: join(home, dataDir.replace(/\W/g, '_')), HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...options.env },
    }),
    restart: async () => {
      await s.daemon.stop();
      s.daemon = await start();
    },
  };
  return s;
}

export interface PairOptions {
  /** The source's replication token scope (default `replicate`). */
  sourceScope?: string;
  /** Where the source listens (default 127.0.0.1:0, plain HTTP; a wildcard serves HTTPS). */
  sourceListen?: string;
  /** More environment for both daemons. */
  env?: NodeJS.ProcessEnv;
  /** More environment for the source alone (e.g. its datastore on S3). */
  sourceEnv?: NodeJS.ProcessEnv;
  /** A test entry point the source runs instead of bin/havend (tests/faults/havend-faulty.ts). */
  sourceEntry?: string;
}

export async function replicationPair(t: TestContext, group: string, options: PairOptions = {}): Promise<Pair> {
  const sourceScope = options.sourceScope ?? 'replicate';
  const home = tempDir(t, 'haven-repl-home-');
  const sourceEnv = options.env || options.sourceEnv ? { ...options.env, ...options.sourceEnv } : undefined;
  const source = await side(t, group, home, options.sourceListen, sourceEnv, options.sourceEntry);
  const offsite = await side(t, group, home, undefined, options.env);
  const tokenFile = join(home, 'source.token');
  writeFileSync(tokenFile, `${createToken(source.dataDir, sourceScope, 'offsite')}\n`, { mode: 0o600 });
  const havend = (args: string[], timeoutMs = 300_000): Promise<BoundedResult> =>
    runBounded(HAVEND, [...args, '--data', offsite.dataDir], { timeoutMs, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HAVEND_'))) });
  return {
    source, offsite, tokenFile, havend,
    peerStatus: async (name) => {
      const r = await havend(['peer', 'status', name, '--json'], 30_000);
      if (r.code !== 0) throw new Error(`peer status ${name}: ${r.stderr}`);
      return JSON.parse(r.stdout) as PeerStatus;
    },
  };
}

/** Polls `check` until it answers true, at most `ms`. */
export async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A tree of `files` seeded files of `bytes` each under WORK/src, backed up once on `side`; its snapshot id. */
export async function backupSeededTree(side: Side, group: string, work: string, files: number, bytes: number): Promise<string> {
  const src = join(work, 'src');
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(src, `part-${i}.bin`), seededBytes(bytes, `${group}-${i}`));
  const backup = await side.haven(['backup', '--group', group, '--json', 'src'], { cwd: work });
  assert.equal(backup.code, 0, backup.stderr);
  return (JSON.parse(backup.stdout) as { snapshot: { id: string } }).snapshot.id;
}

/** Restores `id` from `side` with the real client and compares every file's content with WORK/src. */
export async function assertRestoresBitExact(side: Side, id: string, work: string): Promise<void> {
  const target = join(work, `restored-${id.slice(0, 8)}`);
  const restore = await side.haven(['restore', id, '--target', target, '--json']);
  assert.equal(restore.code, 0, restore.stderr);
  const posix = createPosixOps();
  const contents = async (dir: string) => new Map([...(await describeTree(dir, posix))].map(([k, v]) => [k, v.sha ?? v.type]));
  assert.deepEqual(await contents(join(target, 'src')), await contents(join(work, 'src')), `snapshot ${id.slice(0, 12)} restores bit-exact`);
}

/** A port free on 127.0.0.1 now: a source that restarts on it keeps the URL its peer knows. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
