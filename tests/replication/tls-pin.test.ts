// A source serving HTTPS with its own certificate: the offsite pins its fingerprint. A wrong
// pin is refused at `peer add` (TLS_FINGERPRINT_MISMATCH, before the token is sent), the right
// one pulls; and a `replicate:<group>` token brings that group and no other.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplicateResponse } from '../../core/src/api/replication.js';
import { createToken } from '../helpers/daemon.js';
import { backupSeededTree, replicationPair } from '../helpers/replication-pair.js';
import { tempDir } from '../helpers/tmp.js';

test('peer over HTTPS: a wrong fingerprint is refused, the right one pulls its one group', async (t) => {
  const pair = await replicationPair(t, 'web', { sourceListen: '0.0.0.0:0', sourceScope: 'replicate:web' });
  const { source, offsite } = pair;
  const fingerprint = source.daemon.fingerprint;
  assert.ok(fingerprint, 'the source serves HTTPS');
  const id = await backupSeededTree(source, 'web', tempDir(t), 2, 1 << 20);
  // another group on the source, which the token does not cover
  const work = tempDir(t);
  await backupSeededTree({ ...source, haven: (args, o = {}) => source.haven(args, { ...o, env: { HAVEN_TOKEN: createToken(source.dataDir, 'backup:other'), ...o.env } }) }, 'other', work, 1, 1 << 20);

  const wrong = fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00');
  const refused = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--fingerprint', wrong]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /\[TLS_FINGERPRINT_MISMATCH\]/);

  const add = await pair.havend(['peer', 'add', 'primary', '--url', source.daemon.url, '--token-file', pair.tokenFile, '--fingerprint', fingerprint, '--schedule', '0 0 1 1 *']);
  assert.equal(add.code, 0, add.stderr);
  const pulled = await pair.havend(['replicate', 'primary', '--wait', '--json']);
  assert.equal(pulled.code, 0, pulled.stderr);
  const r = JSON.parse(pulled.stdout) as ReplicateResponse;
  assert.deepEqual([r.pulled, r.behind], [1, 0]);
  assert.deepEqual((await offsite.daemon.client(offsite.token).snapshots('web')).snapshots.map((s) => s.id), [id]);
  const groups = await offsite.daemon.client(createToken(offsite.dataDir, 'admin')).groups();
  assert.deepEqual(groups.groups.map((g) => g.name), ['web'], 'the other group of the source stays there');
});
