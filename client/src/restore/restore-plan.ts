// What a restore will create, from the snapshot's trees: directories (parents first),
// files with their chunk lists, hard links to files restored earlier, and symlinks, fifos,
// device nodes. Trees are fetched level by level, many per request. Names come from the
// tree decoder, which refuses '/', '..', '.', '' and NUL, and split directories must form
// one namespace, so every path stays under the target and is planned once; --include
// narrows the plan to some paths (and the directories above them).
//
// A snapshot's trees are shared by digest, so the plan (which is per path) is what a
// hostile snapshot would blow up: every entry, chunk reference and byte is counted against
// the budget as it is planned, and depth is bounded (walk-budget.ts).
//
// The plan keeps directories, hard links and special files, not files: at a million files
// a planned entry each held 1.1-1.3 GB. Files are read again from the trees (kept as their
// verified bytes by the TreeSource) when they are written, in the planning's order, by the
// same walk (`plannedFiles`); only the chunk lists of large files, fetched while planning,
// are kept.

import type { TreeEntry } from '../../../core/src/objects/tree.js';
import type { NativePath } from '../../../core/src/native/addon.js';
import { joinPath, type DirName } from '../fs/names.js';
import type { TreeSource } from '../remote/tree-source.js';

type Include = string[][];

export interface PlannedItem {
  /** Path below the target ('/'-separated, never empty): what every file system call is made with. */
  rel: NativePath;
  entry: TreeEntry;
}

export interface PlannedFile extends PlannedItem {
  chunks: Uint8Array[];
}

export interface RestorePlan {
  root: Uint8Array;
  includes: Include;
  /** Parents first. */
  dirs: PlannedItem[];
  files: number;
  /** Later entries of a hard-link group: linked to `to` once its content is written. */
  links: Array<PlannedItem & { to: NativePath }>;
  others: PlannedItem[];
  bytes: number;
  /** The chunks of files kept in list objects, by their place among the planned files. */
  listed: Map<number, Uint8Array[]>;
}

function includeState(components: readonly string[], includes: Include): 'all' | 'ancestor' | 'none' {
  if (includes.length === 0) return 'all';
  let ancestor = false;
  for (const inc of includes) {
    const n = Math.min(inc.length, components.length);
    let same = true;
    for (let i = 0; i < n; i++) if (inc[i] !== components[i]) same = false;
    if (!same) continue;
    if (components.length >= inc.length) return 'all';
    ancestor = true;
  }
  return ancestor ? 'ancestor' : 'none';
}

function childRel(rel: NativePath, child: DirName): NativePath {
  if (rel === '') return child.raw ?? child.name;
  return joinPath(rel, child);
}

/** The absolute path of a planned item, for messages (not kept per item: a plan holds millions). */
export function plannedPath(target: string, rel: NativePath): NativePath {
  return joinPath(target, typeof rel === 'string' ? { name: rel } : { name: rel.toString('utf8'), raw: rel });
}

/** What the walk meets, in planning order; `file` carries its place among the files. */
type Met =
  | { kind: 'dir'; item: PlannedItem }
  | { kind: 'file'; item: PlannedItem; index: number }
  | { kind: 'link'; item: PlannedItem & { to: NativePath } }
  | { kind: 'other'; item: PlannedItem };

/**
 * The plan's walk: level by level (many trees per request), each directory's entries in name
 * order, --include applied. Planning spends the budget on it; writing walks it again over the
 * trees loaded by then, and meets the same entries in the same order.
 */
async function* walkPlan(trees: TreeSource, root: Uint8Array, includes: Include, spend: boolean): AsyncGenerator<Met> {
  const budget = trees.budget;
  const firstOfLink = new Map<number, NativePath>();
  let files = 0;
  // Components (for --include) are kept only when there are includes: per entry they would
  // cost an array as long as its depth.
  let level: Array<{ tree: Uint8Array; rel: NativePath; components: string[] | null }> = [{ tree: root, rel: '', components: includes.length > 0 ? [] : null }];
  for (let depth = 0; level.length > 0; depth++) {
    if (spend) budget.checkDepth(depth, (level[0] as { tree: Uint8Array }).tree);
    await trees.load(level.map((l) => l.tree));
    const next: typeof level = [];
    for (const dir of level) {
      for (const e of await trees.entries(dir.tree)) {
        const components = dir.components && [...dir.components, e.name];
        const state = components ? includeState(components, includes) : 'all';
        if (state === 'none' || (state === 'ancestor' && e.type !== 'dir')) continue;
        if (spend) budget.spendEntries(1);
        const name: DirName = { name: e.name, raw: e.rawName ? Buffer.from(e.rawName) : undefined };
        const rel = childRel(dir.rel, name);
        if (e.type === 'dir') {
          yield { kind: 'dir', item: { rel, entry: e } };
          next.push({ tree: e.subtree as Uint8Array, rel, components });
        } else if (e.type === 'file') {
          const first = e.hardlink !== undefined ? firstOfLink.get(e.hardlink) : undefined;
          if (first !== undefined) {
            yield { kind: 'link', item: { rel, entry: e, to: first } };
            continue;
          }
          if (e.hardlink !== undefined) firstOfLink.set(e.hardlink, rel);
          yield { kind: 'file', item: { rel, entry: e }, index: files++ };
        } else yield { kind: 'other', item: { rel, entry: e } };
      }
    }
    level = next;
  }
}

export async function planRestore(trees: TreeSource, root: Uint8Array, includePaths: readonly string[]): Promise<RestorePlan> {
  const includes: Include = includePaths.map((p) => p.split('/').filter((c) => c !== '' && c !== '.'));
  const plan: RestorePlan = { root, includes, dirs: [], files: 0, links: [], others: [], bytes: 0, listed: new Map() };
  const budget = trees.budget;
  for await (const met of walkPlan(trees, root, includes, true)) {
    if (met.kind === 'dir') plan.dirs.push(met.item);
    else if (met.kind === 'link') plan.links.push(met.item);
    else if (met.kind === 'other') plan.others.push(met.item);
    else {
      const e = met.item.entry;
      budget.spendBytes(e.size);
      if (e.list) plan.listed.set(met.index, await trees.listChunks(e.list));
      else budget.spendEntries((e.data ?? []).length);
      plan.files++;
      plan.bytes += e.size;
    }
  }
  return plan;
}

/** The planned files with their chunks, in planning order, read again from the trees. */
export async function* plannedFiles(trees: TreeSource, plan: RestorePlan): AsyncGenerator<PlannedFile> {
  for await (const met of walkPlan(trees, plan.root, plan.includes, false)) {
    if (met.kind !== 'file') continue;
    const e = met.item.entry;
    yield { ...met.item, chunks: e.list ? (plan.listed.get(met.index) as Uint8Array[]) : (e.data ?? []) };
  }
}
