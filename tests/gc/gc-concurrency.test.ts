// Garbage collection never stops a backup: two real clients back up continuously (most of
// their files replaced between runs, so every prune leaves garbage and compaction has
// segments to rewrite) while prune, GC and compaction run over and over, bounded in time.
// No backup may fail; every snapshot left reads back bit-exact, the newest of each client
// restores identical to its source, and the store check is clean. An in-test uploader sends
// small batches throughout and the longest pause it saw while a collection ran is printed.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PruneResponse } from '../../core/src/api/retention.js';
import { ObjectKind } from '../../core/src/objects/kinds.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld } from '../helpers/haven-cli.js';
import { framesOf, makeObject } from '../helpers/objects.js';
import { verifySnapshot } from '../helpers/readback.js';
import { tempDir } from '../helpers/tmp.js';
import { GC_TEST_ENV, runGc } from './gc-daemon.js';

/** Same file names and bytes (the sources are flat directories of regular files). */
function treesEqual(expected: string, actual: string): void {
  assert.deepEqual(readdirSync(actual).sort(), readdirSync(expected).sort(), `files of ${actual}`);
  for (const f of readdirSync(expected)) assert.ok(readFileSync(join(actual, f)).equals(readFileSync(join(expected, f))), `${f} restored bit-exact`);
}

const RELIABILITY = process.env.HAVEN_RELIABILITY === '1';
const DURATION_MS = RELIABILITY ? 240_000 : 15_000;
/** On a slow machine the load runs on past DURATION_MS until the collections the test needs happened, up to this. */
const HARD_LIMIT_MS = DURATION_MS * 4;

/** Replaces about three quarters of a client's files with new random content. */
function mutate(dir: string, round: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 24; i++) {
    if (round > 0 && i % 4 === 0) continue; // a quarter stays: shared between snapshots
    writeFileSync(join(dir, `f${i}.bin`), randomBytes(20_000 + ((i * 7919) % 60_000)));
  }
}

test(`two clients back up continuously while prune, GC and compaction run for at least ${DURATION_MS / 1000} s`, { timeout: HARD_LIMIT_MS + 300_000 }, async (t) => {
  const w = await cliWorld(t, GC_TEST_ENV);
  const admin = w.daemon.client(w.token);
  const work = tempDir(t);
  const clients = ['alpha', 'beta'];
  const deadline = Date.now() + DURATION_MS;
  const hardDeadline = Date.now() + HARD_LIMIT_MS;
  let runs = 0;
  let reclaimed = 0;
  let compacted = 0;
  const enough = (): boolean => runs >= 3 && reclaimed > 0 && compacted > 0;
  const loading = (): boolean => Date.now() < deadline || (!enough() && Date.now() < hardDeadline);
  let backups = 0;
  const lastSource = new Map<string, string>();

  const client = async (name: string): Promise<void> => {
    const src = join(work, name, 'src');
    for (let round = 0; loading(); round++) {
      mutate(src, round);
      const r = await w.run(['backup', '--group', name, 'src', '--json'], { cwd: join(work, name) });
      assert.equal(r.code, 0, `${name} backup ${round} failed: ${r.stderr}`);
      backups++;
      const copy = join(work, name, 'last');
      rmSync(copy, { recursive: true, force: true });
      cpSync(src, copy, { recursive: true });
      lastSource.set(name, copy);
    }
  };

  let collecting = false;
  const pauses: number[] = [];
  const quiet: number[] = [];
  // One short session per batch: a session held open across runs would (rightly) keep a
  // collection from reclaiming what the run before it condemned.
  const uploader = async (): Promise<void> => {
    while (loading()) {
      const s = await admin.startBackup({ group: 'probe' });
      const batch = Array.from({ length: 4 }, () => makeObject(ObjectKind.data, randomBytes(16_384)));
      const t0 = performance.now();
      await admin.uploadFrames(s.session, framesOf(batch));
      (collecting ? pauses : quiet).push(performance.now() - t0);
      await admin.abort(s.session);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const collector = async (): Promise<void> => {
    while (loading()) {
      for (const group of clients) {
        if ((await admin.snapshots(group).catch(() => ({ snapshots: [] }))).snapshots.length < 3) continue;
        await admin.json<PruneResponse>('POST', '/api/v1/prune', { group, policy: { keepLast: 2 } });
      }
      collecting = true;
      const s = await runGc(admin);
      collecting = false;
      runs++;
      reclaimed += s.reclaimedObjects;
      compacted += s.compaction.segments;
      await new Promise((r) => setTimeout(r, 1000)); // uploads between runs: the comparison
    }
  };

  await Promise.all([...clients.map(client), uploader(), collector()]);
  assert.ok(enough(), `${runs} GC runs reclaimed ${reclaimed} object(s) and compacted ${compacted} segment(s)`);

  let verified = 0;
  for (const group of clients) {
    for (const s of (await admin.snapshots(group)).snapshots) verified += await verifySnapshot(admin, s.id);
    const target = join(work, `restore-${group}`);
    const r = await w.run(['restore', 'latest', '--group', group, '--target', target]);
    assert.equal(r.code, 0, r.stderr);
    treesEqual(lastSource.get(group) as string, join(target, 'src'));
  }
  await w.daemon.stop();
  const check = havend(['store', 'check', '--data', w.dataDir]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const spread = (samples: number[]): string => {
    const sorted = samples.sort((a, b) => a - b);
    const q = (f: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? 0).toFixed(1);
    return `${sorted.length} samples, median ${q(0.5)} ms, p99 ${q(0.99)} ms, longest ${q(1)} ms`;
  };
  t.diagnostic(`${backups} backups, ${runs} GC runs (${reclaimed} objects reclaimed, ${compacted} segments compacted), ${(verified / 1048576).toFixed(1)} MiB verified`);
  t.diagnostic(`an upload of 64 KiB while GC ran: ${spread(pauses)}; between runs: ${spread(quiet)}`);
});
