// `havend snapshot protect|unprotect|delete ID` through the running daemon's control socket
// (issue 13), and the protection surviving `havend store rebuild-index` and a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

test('havend snapshot protect / delete refused / rebuild-index keeps it / unprotect / delete', async (t) => {
  const dataDir = tempDir(t);
  const backupToken = createToken(dataDir, 'backup:web');
  let d = await startDaemon(t, { dataDir });
  const { snapshot } = await pushBackup(d.client(backupToken), 'web', sampleBackup(2, 3000));
  const id = snapshot.id;

  const p = havend(['snapshot', 'protect', id.slice(0, 8), '--data', dataDir]);
  assert.equal(p.code, EXIT.ok, p.stderr);
  assert.equal(p.stdout, `snapshot ${id} (web, ${snapshot.time}) is protected\n`);

  const refused = havend(['snapshot', 'delete', id, '--data', dataDir]);
  assert.equal(refused.code, EXIT.failure);
  assert.match(refused.stderr, new RegExp(`is protected \\(by local administrator since .*havend snapshot unprotect ${id}.*\\[SNAPSHOT_PROTECTED\\]`));

  // the flag is a record in the segments: a rebuilt index has it
  await d.stop();
  const rebuilt = havend(['store', 'rebuild-index', '--data', dataDir]);
  assert.equal(rebuilt.code, EXIT.ok, rebuilt.stderr);
  assert.match(rebuilt.stdout, /1 snapshot\(s\), 0 deletion\(s\), 1 protection record\(s\)/);
  d = await startDaemon(t, { dataDir });
  const json = havend(['snapshot', 'protect', id, '--data', dataDir, '--json']);
  assert.equal(json.code, EXIT.ok, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { protected: boolean }).protected, true, 'still protected after the rebuild');
  assert.equal(havend(['snapshot', 'delete', id, '--data', dataDir]).code, EXIT.failure);

  const u = havend(['snapshot', 'unprotect', id, '--data', dataDir]);
  assert.equal(u.code, EXIT.ok, u.stderr);
  assert.match(u.stdout, /is not protected\n$/);
  const del = havend(['snapshot', 'delete', id, '--data', dataDir]);
  assert.equal(del.code, EXIT.ok, del.stderr);
  const gone = havend(['snapshot', 'protect', id, '--data', dataDir]);
  assert.equal(gone.code, EXIT.failure);
  assert.match(gone.stderr, /\[SNAPSHOT_NOT_FOUND\]/);
  await d.stop();
});

test('havend snapshot: usage errors exit 2; no daemon exits 3', (t) => {
  const dataDir = tempDir(t);
  assert.equal(havend(['snapshot']).code, EXIT.usage);
  assert.equal(havend(['snapshot', 'destroy', 'abc123']).code, EXIT.usage);
  assert.equal(havend(['snapshot', 'protect', '--data', dataDir]).code, EXIT.usage, 'no ID');
  assert.equal(havend(['snapshot', 'protect', 'a', 'b', '--data', dataDir]).code, EXIT.usage);
  const r = havend(['snapshot', 'protect', 'abcdef', '--data', dataDir]);
  assert.equal(r.code, EXIT.daemonNotRunning, r.stderr);
});
