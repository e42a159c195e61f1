// GET /snapshots/:id/archive?path=P: a folder (or a single file) of a snapshot as a tar
// stream, for the UI's "download folder". The name is the folder's, or group-<id prefix>
// for the whole snapshot.

import type { TreeReader } from '../../backup/tree-reader.js';
import type { Catalog } from '../../backup/catalog.js';
import { treeArchive } from '../../backup/tree-archive.js';
import { fromHex } from '../../../../core/src/objects/digest.js';
import type { PathQuery, SnapshotParams } from '../../../../core/src/api/snapshots.js';
import type { Handler } from '../route-types.js';

export function archiveRoutes(deps: { catalog: Catalog; trees: TreeReader }) {
  const get: Handler<{ params: typeof SnapshotParams; querystring: typeof PathQuery }> = async (req, reply) => {
    const s = deps.catalog.resolve(req.params.id);
    const path = req.query.path ?? '/';
    const { entry, tree } = await deps.trees.lookup(fromHex(s.root), path, s.id);
    const name = entry?.name ?? `${s.group}-${s.id.slice(0, 8)}`;
    const fileName = `${name.replace(/[^\w.-]/g, '_')}.tar`;
    return reply
      .type('application/x-tar')
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .send(treeArchive(deps.trees, { entry, tree, name, time: new Date(s.time) }));
  };
  return { get };
}
