// Verification (daemon/src/verify) while reads of a segment fail below the store
// (faulty-daemon.ts). The policy: a failed read is tried once more (segment-reader.ts); one
// that fails twice is a media error, not damage: the run fails and names the segment, the
// offset, the object and the snapshots that reach it, and quarantines nothing (a read error
// proves nothing about the record; the next run reads it again). Short reads are read on.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { VerifyRun, VerifyStatus } from '../../core/src/api/verify.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { havend } from '../helpers/daemon.js';
import { cliWorld, type CliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';
import { FAULTY_HAVEND, SMALL_SEGMENTS, segmentFaults, segmentsOf, wholeSegments } from './faulty-daemon.js';

interface VerifyOutput {
  run: VerifyRun;
  quarantinedCount: number;
}

function verify(dataDir: string): { code: number; out: VerifyOutput } {
  const r = havend(['verify', '--wait', '--json', '--data', dataDir]);
  try {
    return { code: r.code, out: JSON.parse(r.stdout) as VerifyOutput };
  } catch {
    throw new Error(`havend verify printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

async function backup(world: CliWorld, work: string, group: string): Promise<string> {
  const src = join(work, group);
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < 2; i++) writeFileSync(join(src, `part-${i}.bin`), seededBytes(1280 << 10, `${group}-${i}`));
  return (await world.json<{ snapshot: { id: string } }>(['backup', '--group', group, group], { cwd: work })).snapshot.id;
}

test('verification over failing reads: media errors named precisely, nothing quarantined, transient faults cost nothing', async (t) => {
  const faults = segmentFaults(t);
  const world = await cliWorld(t, { ...SMALL_SEGMENTS, ...faults.env }, FAULTY_HAVEND);
  const work = tempDir(t);
  const a = await backup(world, work, 'alpha');
  const alphaOnly = segmentsOf(world.dataDir).map((s) => s.id).slice(0, -1);
  const b = await backup(world, work, 'beta');
  assert.ok(alphaOnly.length >= 1, 'a segment holds alpha\'s data alone');
  const admin = world.daemon.client(world.token);
  // the commits' own verification runs end before any fault
  for (let i = 0; i < 600; i++) {
    const status = await admin.json<VerifyStatus>('GET', '/api/v1/verify');
    if (!status.running && status.history.some((r) => r.kind === 'new-snapshots')) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  // a read that fails once: read again, the run is clean
  faults.set(wholeSegments([alphaOnly[0] as number], 'eio', 1));
  const once = verify(world.dataDir);
  assert.equal(once.code, EXIT.ok, JSON.stringify(once.out));
  assert.equal(faults.hits(), 1, 'the fault was met');
  assert.equal(once.out.quarantinedCount, 0);

  // short reads everywhere: read on, clean
  faults.set(wholeSegments(segmentsOf(world.dataDir).map((s) => s.id), 'short'));
  const short = verify(world.dataDir);
  assert.equal(short.code, EXIT.ok, JSON.stringify(short.out));
  assert.ok(faults.hits() > 0, 'short reads were answered');

  // a segment that fails for good: a media error naming segment, offset, object and snapshot
  const bad = alphaOnly[0] as number;
  faults.set(wholeSegments([bad], 'eio'));
  const media = verify(world.dataDir);
  assert.notEqual(media.code, EXIT.ok, 'the run failed');
  assert.equal(media.out.run.status, 'failed');
  const problems = media.out.run.summary?.problems ?? [];
  assert.ok(problems.length > 0, JSON.stringify(media.out.run));
  for (const p of problems) {
    assert.match(p, new RegExp(`^media error, nothing quarantined: segment ${bad} offset \\d+ could not be read \\(EIO\\): object [0-9a-f]{64}, reached by snapshot\\(s\\) ${a} \\(alpha\\)$`));
  }
  assert.ok(problems.every((p) => !p.includes(b)), 'beta reaches nothing on the failing segment');
  assert.equal(media.out.quarantinedCount, 0, 'nothing was quarantined for a read error');
  assert.equal(media.out.run.summary?.damagedObjects, 0, 'a read error is not damage');
  assert.equal(world.daemon.proc.exitCode, null, 'the daemon is up');

  faults.clear();
  const healed = verify(world.dataDir);
  assert.equal(healed.code, EXIT.ok, JSON.stringify(healed.out));
  assert.equal(healed.out.quarantinedCount, 0);
  const check = havend(['store', 'check', '--data', world.dataDir, '--json']);
  assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
});
