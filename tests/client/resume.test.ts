import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAVEN, cliWorld } from '../helpers/haven-cli.js';
import { seededBytes } from '../helpers/real-data.js';
import { tempDir } from '../helpers/tmp.js';

function segmentBytes(dataDir: string): number {
  const root = join(dataDir, 'datastore', 'segments');
  if (!existsSync(root)) return 0;
  let n = 0;
  for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) n += statSync(join(root, d, f)).size;
  return n;
}

test('a backup killed half-way: the next run reuses what was uploaded', async (t) => {
  // Durable every MiB, so what was uploaded before the kill is indexed.
  const w = await cliWorld(t, { HAVEND_DATASTORE_SYNC_EVERY_BYTES: String(1 << 20) });
  const work = tempDir(t);
  mkdirSync(join(work, 'src'));
  const files = 48;
  for (let i = 0; i < files; i++) writeFileSync(join(work, 'src', `f${String(i).padStart(2, '0')}`), seededBytes(2 << 20, `resume-${i}`));

  const child = spawn(HAVEN, ['backup', '--group', 'resume', 'src'], { cwd: work, env: { ...process.env, ...w.env, HAVEN_WORKERS: '1' }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let killedAt = 0;
  while (Date.now() < deadline && child.exitCode === null) {
    const bytes = segmentBytes(w.dataDir);
    if (bytes >= 24 << 20) {
      child.kill('SIGKILL');
      killedAt = bytes;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const code = await exited;
  assert.ok(killedAt > 0, `the backup was killed half-way (exit ${code}, ${segmentBytes(w.dataDir)} bytes stored)`);
  assert.ok(killedAt < 96 << 20, 'and before it finished');
  assert.equal((await w.json<{ snapshots: unknown[] }>(['snapshots', '--group', 'resume'])).snapshots.length, 0, 'no snapshot from the killed run');

  const second = await w.json<{ session: { stats: { hasPresent: number; objectsNew: number; rawBytesNew: number } } }>(['backup', '--group', 'resume', 'src'], { cwd: work });
  const st = second.session.stats;
  // about 2 chunks per 2 MiB file: at least 10 of the ~96 chunks were already there
  assert.ok(st.hasPresent >= 10, `${st.hasPresent} chunks reused`);
  assert.ok(st.rawBytesNew <= (96 << 20) - (20 << 20), `only the rest was uploaded (${st.rawBytesNew} bytes)`);
  const check = await w.json<{ problems: string[] }>(['check', 'latest', '--group', 'resume', '--read-data']);
  assert.deepEqual(check.problems, []);
});
