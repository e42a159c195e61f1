// Real things for requests to name, made through the API itself: an open backup session
// and a committed snapshot (an empty root tree) in one group.

import assert from 'node:assert/strict';
import { MEDIA_FRAMES } from '../../core/src/api/backup.js';
import { toHex } from '../../core/src/objects/digest.js';
import { frameOf, treeOf } from '../helpers/objects.js';
import type { InProcess } from './in-process.js';

export interface GroupFixture {
  group: string;
  /** A bearer token of `backup:<group>`. */
  token: string;
  session: string;
  snapshot: string;
}

async function startSession(api: InProcess, group: string, token: string): Promise<string> {
  const res = await api.server.inject({ method: 'POST', url: '/api/v1/backups', headers: { authorization: `Bearer ${token}` }, payload: { group } });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { session: string }).session;
}

/** Another open session in the fixture's group. */
export function openSession(api: InProcess, f: GroupFixture): Promise<string> {
  return startSession(api, f.group, f.token);
}

export async function groupFixture(api: InProcess, group: string): Promise<GroupFixture> {
  const token = await api.token(`backup:${group}`);
  const auth = { authorization: `Bearer ${token}` };
  const pushed = await startSession(api, group, token);
  const root = treeOf([]);
  const up = await api.server.inject({
    method: 'POST', url: `/api/v1/backups/${pushed}/chunks`, headers: { ...auth, 'content-type': MEDIA_FRAMES }, payload: Buffer.concat(frameOf(root)),
  });
  assert.equal(up.statusCode, 200, up.body);
  const commit = await api.server.inject({ method: 'POST', url: `/api/v1/backups/${pushed}/commit`, headers: auth, payload: { root: toHex(root.digest) } });
  assert.equal(commit.statusCode, 200, commit.body);
  const snapshot = (commit.json() as { snapshot: { id: string } }).snapshot.id;
  return { group, token, session: await startSession(api, group, token), snapshot };
}
