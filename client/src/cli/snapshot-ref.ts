// Resolving what the user typed to a snapshot: `latest` (of --group, or of the only group
// the token can read), a full id, or a unique prefix of at least 6 hex digits.

import { HavenError } from '../../../core/src/errors.js';
import type { SnapshotSummary } from '../../../core/src/api/snapshots.js';
import type { ApiClient } from '../api/api-client.js';
import { UsageError } from '../../../core/src/cli/args.js';

export async function resolveSnapshot(api: ApiClient, ref: string, group: string | undefined): Promise<SnapshotSummary> {
  if (ref === 'latest') {
    let g = group;
    if (!g) {
      const groups = (await api.groups()).groups;
      if (groups.length !== 1) throw new UsageError(`latest needs --group (this token reads ${groups.length} groups)`);
      g = (groups[0] as { name: string }).name;
    }
    const list = (await api.snapshots(g)).snapshots;
    const last = list[list.length - 1];
    if (!last) throw new HavenError('SNAPSHOT_NOT_FOUND', { id: `latest of group ${g}` });
    return last;
  }
  if (!/^[0-9a-f]{6,64}$/.test(ref)) throw new UsageError(`${ref} is not a snapshot id (6 to 64 hex digits) or latest`);
  return api.snapshot(ref);
}
