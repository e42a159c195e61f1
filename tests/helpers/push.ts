// Pushes a built backup through the real API client: start, has, upload what is missing, commit.

import { toHex } from '../../core/src/objects/digest.js';
import type { ApiClient } from '../../client/src/api/api-client.js';
import type { CommitRequest, CommitResponse } from '../../core/src/api/backup.js';
import { framesOf, type TestObject } from './objects.js';

/** Uploads what the appliance lacks and commits; `commit` adds the client's counters and warnings. */
export async function pushBackup(
  api: ApiClient, group: string, backup: { objects: TestObject[]; root: TestObject }, commit: Omit<CommitRequest, 'root'> = {},
): Promise<CommitResponse> {
  const s = await api.startBackup({ group, paths: ['/srv'] });
  const bitmap = await api.has(s.session, Buffer.concat(backup.objects.map((o) => o.digest)));
  const missing = backup.objects.filter((_, i) => !(((bitmap[i >> 3] as number) >> (i & 7)) & 1));
  if (missing.length > 0) await api.uploadFrames(s.session, framesOf(missing));
  return api.commit(s.session, { ...commit, root: toHex(backup.root.digest) });
}
