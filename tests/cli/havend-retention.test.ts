// `havend retention set|show|clear` and `havend prune` against a real daemon through its
// control socket (issue 13): a keep-last policy (snapshot times come from the daemon's clock
// at commit, so keep-last is the rule that does not depend on their spacing), a dry run that
// lists every snapshot's fate and deletes nothing, then a prune that leaves exactly the kept
// ones in the API's listing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PruneResponse, StoredPolicy } from '../../core/src/api/retention.js';
import { EXIT } from '../../daemon/src/cli/exit-codes.js';
import { createToken, havend, startDaemon } from '../helpers/daemon.js';
import { sampleBackup } from '../helpers/objects.js';
import { pushBackup } from '../helpers/push.js';
import { tempDir } from '../helpers/tmp.js';

test('havend retention set/show, prune --dry-run --json, prune, retention clear', async (t) => {
  const dataDir = tempDir(t);
  const backupToken = createToken(dataDir, 'backup:web');
  const d = await startDaemon(t, { dataDir });
  const api = d.client(backupToken);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    ids.push((await pushBackup(api, 'web', sampleBackup(1 + i, 2000))).snapshot.id);
    await new Promise((r) => setTimeout(r, 20)); // distinct commit times
  }

  const none = havend(['prune', '--group', 'web', '--data', dataDir]);
  assert.equal(none.code, EXIT.failure, 'a group without a policy is not pruned');
  assert.match(none.stderr, /\[RETENTION_POLICY_NOT_FOUND\]/);

  const set = havend(['retention', 'set', 'web', '--keep-last', '2', '--data', dataDir]);
  assert.equal(set.code, EXIT.ok, set.stderr);
  assert.match(set.stdout, /^web: --keep-last 2 \(set by local administrator at /);
  const shown = havend(['retention', 'show', 'web', '--json', '--data', dataDir]);
  assert.equal(shown.code, EXIT.ok, shown.stderr);
  assert.deepEqual((JSON.parse(shown.stdout) as StoredPolicy).policy, { keepLast: 2 });
  assert.match(havend(['retention', 'show', '--data', dataDir]).stdout, /^web: --keep-last 2/);

  const dry = havend(['prune', '--dry-run', '--json', '--data', dataDir]);
  assert.equal(dry.code, EXIT.ok, dry.stderr);
  const plan = JSON.parse(dry.stdout) as PruneResponse;
  assert.equal(plan.summary.dryRun, true);
  const newestFirst = [...ids].reverse();
  assert.deepEqual(plan.summary.groups[0]?.snapshots.map((s) => [s.id, s.keep, s.reasons]), [
    [newestFirst[0], true, ['last 1']],
    [newestFirst[1], true, ['last 2']],
    [newestFirst[2], false, ['no rule keeps it']],
    [newestFirst[3], false, ['no rule keeps it']],
  ]);
  assert.equal((await api.snapshots('web')).snapshots.length, 4, 'a dry run deletes nothing');
  const dryText = havend(['prune', '--dry-run', '--data', dataDir]);
  assert.match(dryText.stdout, new RegExp(`remove ${ids[0]?.slice(0, 12)} .*no rule keeps it`));
  assert.match(dryText.stdout, new RegExp(`keep   ${ids[3]?.slice(0, 12)} .*last 1`));

  const run = havend(['prune', '--data', dataDir]);
  assert.equal(run.code, EXIT.ok, run.stderr);
  assert.match(run.stdout, /web \(--keep-last 2\): removed 2 of 4/);
  // returned once the deletions were committed: the listing already shows them gone
  assert.deepEqual((await api.snapshots('web')).snapshots.map((s) => s.id), ids.slice(2));

  // --keep-* overrides the policy for one run
  const once = havend(['prune', '--group', 'web', '--keep-last', '1', '--json', '--data', dataDir]);
  assert.equal(once.code, EXIT.ok, once.stderr);
  assert.deepEqual((JSON.parse(once.stdout) as PruneResponse).summary.groups[0]?.removed, [ids[2]]);
  assert.deepEqual((await api.snapshots('web')).snapshots.map((s) => s.id), [ids[3]]);

  assert.equal(havend(['retention', 'clear', 'web', '--data', dataDir]).code, EXIT.ok);
  assert.match(havend(['retention', 'show', '--data', dataDir]).stdout, /no retention policy/);
  await d.stop();
});

test('havend retention/prune: usage errors exit 2; no daemon exits 3', (t) => {
  const dataDir = tempDir(t);
  assert.equal(havend(['retention']).code, EXIT.usage);
  assert.equal(havend(['retention', 'set', '--data', dataDir]).code, EXIT.usage, 'no group');
  assert.equal(havend(['retention', 'set', 'web', '--data', dataDir]).code, EXIT.usage, 'no rule');
  assert.equal(havend(['retention', 'set', 'web', '--keep-last', 'two', '--data', dataDir]).code, EXIT.usage);
  assert.equal(havend(['prune', '--keep-last', '1', '--data', dataDir]).code, EXIT.usage, '--keep-* needs --group');
  const r = havend(['retention', 'show', '--data', dataDir]);
  assert.equal(r.code, EXIT.daemonNotRunning, r.stderr);
});
