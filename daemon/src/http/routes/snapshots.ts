// Reading backups back: groups, snapshots, tree objects, object streams for restores, and a
// file's content. Deleting or (un)protecting a snapshot needs `admin` (backup tokens are
// append-only).

import { HavenError } from '../../../../core/src/errors.js';
import { MEDIA_FRAMES } from '../../../../core/src/api/backup.js';
import type {
  FindQuery, FindResult, GroupParams, PathQuery, SnapshotDetail, SnapshotListQuery, SnapshotObjectParams, SnapshotParams, TreeEntryJson, TreeListing,
} from '../../../../core/src/api/snapshots.js';
import { pathMatcher } from '../../../../core/src/text/path-glob.js';
import { fromHex, toHex } from '../../../../core/src/objects/digest.js';
import { ObjectKind, kindName } from '../../../../core/src/objects/kinds.js';
import { decodeSnapshot } from '../../../../core/src/objects/snapshot.js';
import type { TreeEntry } from '../../../../core/src/objects/tree.js';
import { canReadGroup, type Principal } from '../../auth/principal.js';
import type { Catalog } from '../../backup/catalog.js';
import type { TreeReader } from '../../backup/tree-reader.js';
import { findInSnapshots } from '../../backup/snapshot-find.js';
import type { ObjectStore } from '../../store/store-api.js';
import type { SpanFrames } from '../../store/segment-reader.js';
import { sendFrameSpans } from '../frame-stream.js';
import { readSpans, spanBytes, type SpanItem } from '../../store/read-spans.js';
import type { Handler } from '../route-types.js';

/** Spans of one objects request read at once, and the bytes they may hold between them (at least one span always). */
const SPANS_IN_FLIGHT = 8;
const BYTES_IN_FLIGHT = 16 * 1024 * 1024;

export interface SnapshotDeps {
  store: ObjectStore;
  catalog: Catalog;
  trees: TreeReader;
  maxObjectsPerRequest: number;
  /** The daemon's shutdown: an objects answer then ends its connection. */
  shutdown?: AbortSignal;
}

type BySnapshot = { params: typeof SnapshotParams };

function entryJson(e: TreeEntry): TreeEntryJson {
  const j: TreeEntryJson = {
    name: e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid,
    mtime: new Date(Number(e.mtimeNs / 1_000_000n)).toISOString(), size: e.size,
  };
  if (e.target !== undefined) j.target = e.target;
  if (e.subtree) j.subtree = toHex(e.subtree);
  return j;
}

export function snapshotRoutes(deps: SnapshotDeps) {
  const { catalog, store, trees } = deps;

  const groups: Handler = async (req) => ({
    groups: catalog.groups((g) => canReadGroup(req.principal as Principal, g)),
  });

  const list: Handler<{ params: typeof GroupParams; querystring: typeof SnapshotListQuery }> = async (req) => {
    const snapshots = catalog.snapshots(req.params.group, req.query.last);
    // counted apart only when the list is cut short (a count walks the group's keys)
    return { snapshots, total: req.query.last === undefined ? snapshots.length : catalog.countIn(req.params.group) };
  };

  /** The summary and the backup's warnings, which only the record holds (lists leave them out). */
  const one: Handler<BySnapshot, SnapshotDetail> = async (req) => {
    const s = catalog.resolve(req.params.id);
    const record = decodeSnapshot(await store.readObject(fromHex(s.id), ObjectKind.snapshot));
    return { ...s, warnings: record.warnings ?? [] };
  };

  const remove: Handler<BySnapshot> = async (req, reply) => {
    const s = catalog.resolve(req.params.id);
    await catalog.delete(s.id, (req.principal as Principal).name);
    return reply.code(204).send();
  };

  const protect: Handler<BySnapshot> = async (req) => catalog.protect(catalog.resolve(req.params.id).id, (req.principal as Principal).name);

  const unprotect: Handler<BySnapshot> = async (req) => catalog.unprotect(catalog.resolve(req.params.id).id, (req.principal as Principal).name);

  /** One object, decompressed and verified (trees for listing; the client re-verifies). */
  const object: Handler<{ params: typeof SnapshotObjectParams }> = async (req, reply) => {
    const { digest } = req.params;
    const d = fromHex(digest);
    const loc = store.locate(d);
    if (!loc) throw new HavenError('OBJECT_NOT_FOUND', { digest });
    const raw = await store.readObject(d);
    return reply.type('application/octet-stream').header('x-haven-kind', kindName(loc.kind) ?? String(loc.kind)).send(raw);
  };

  /**
   * Many objects as a frame stream, as stored (compressed), in storage order (not request
   * order: records next to each other are read together); the client matches each frame
   * to its request by digest and verifies it.
   */
  const objects: Handler<BySnapshot> = async (req, reply) => {
    // The digest parser hands over a Buffer; any other content type leaves something else.
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length % 32 !== 0 || body.length / 32 > deps.maxObjectsPerRequest) {
      throw new HavenError('HAS_BATCH_INVALID', { max: deps.maxObjectsPerRequest });
    }
    const items: SpanItem[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < body.length; i += 32) {
      const d = body.subarray(i, i + 32);
      const location = store.locate(d);
      if (!location) throw new HavenError('OBJECT_NOT_FOUND', { digest: toHex(d) });
      const key = d.toString('latin1');
      if (seen.has(key)) continue; // each object once
      seen.add(key);
      items.push({ digest: d, location });
    }
    const spans = readSpans(items)[Symbol.iterator]();
    // Several spans are read at once and answered in order: on an S3 datastore each span is
    // a ranged GET, whose latencies then overlap instead of adding up (a level of a thousand
    // small trees is a thousand spans). A span read ahead and never answered (the client
    // went away, or an earlier span failed) has its failure dropped, not left unhandled.
    const inFlight: Array<{ read: Promise<SpanFrames>; bytes: number }> = [];
    let inFlightBytes = 0;
    const readAhead = (): void => {
      while (inFlight.length < SPANS_IN_FLIGHT && (inFlight.length === 0 || inFlightBytes < BYTES_IN_FLIGHT)) {
        const next = spans.next();
        if (next.done) return;
        const read = store.readSpanFrames(next.value);
        read.catch(() => undefined);
        const bytes = spanBytes(next.value);
        inFlight.push({ read, bytes });
        inFlightBytes += bytes;
      }
    };
    const readNext = async (): Promise<SpanFrames | null> => {
      readAhead();
      const head = inFlight.shift();
      if (!head) return null;
      inFlightBytes -= head.bytes;
      const frames = await head.read;
      readAhead();
      return frames;
    };
    // The first span is read before the answer starts, so damage found there is answered
    // with its typed error (STORE_CORRUPT) rather than a bare failed response. Damage further
    // on can only cut the stream short: the client then names the objects that never came.
    const first = await readNext();
    if (!first) return reply.type(MEDIA_FRAMES).send(Buffer.alloc(0));
    await sendFrameSpans(reply, first, readNext, { contentType: MEDIA_FRAMES, shutdown: deps.shutdown });
    return reply;
  };

  const tree: Handler<BySnapshot & { querystring: typeof PathQuery }, TreeListing> = async (req) => {
    const s = catalog.resolve(req.params.id);
    const path = req.query.path ?? '/';
    const { entry, tree: dir } = await trees.lookup(fromHex(s.root), path, s.id);
    if (entry && entry.type !== 'dir') return { path, entries: [entryJson(entry)] };
    return { path, entries: (await trees.entries(dir)).map(entryJson) };
  };

  const content: Handler<BySnapshot & { querystring: typeof PathQuery }> = async (req, reply) => {
    const s = catalog.resolve(req.params.id);
    const path = req.query.path ?? '';
    const { entry } = await trees.lookup(fromHex(s.root), path, s.id);
    if (!entry || entry.type !== 'file') throw new HavenError('NOT_A_FILE', { path });
    const name = entry.name.replace(/[^\w.-]/g, '_');
    return reply
      .type('application/octet-stream')
      .header('content-length', entry.size)
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(trees.content(entry));
  };

  /** Entries matching a shell glob (the --exclude syntax) across the group's snapshots, newest first. */
  const find: Handler<{ params: typeof GroupParams; querystring: typeof FindQuery }, FindResult> = async (req) => {
    const { pattern, last } = req.query;
    if (pattern === undefined) throw new HavenError('VALIDATION_FAILED', { detail: 'querystring must have required property \'pattern\'' });
    const snapshots = catalog.snapshots(req.params.group, last).reverse();
    const r = await findInSnapshots(trees, snapshots, pathMatcher([pattern]));
    return {
      searched: r.searched, truncated: r.truncated,
      snapshots: r.found.map(({ snapshot, entries }) => ({ id: snapshot.id, time: snapshot.time, entries: entries.map((f) => ({ ...entryJson(f.entry), path: f.path })) })),
    };
  };

  const snapshotGroup = (id: string): string => catalog.resolve(id).group;

  return { groups, list, one, remove, protect, unprotect, object, objects, tree, content, find, snapshotGroup };
}
