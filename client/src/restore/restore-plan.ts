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

import type { TreeEntry } from '../../../core/src/objects/tree.js';
import type { NativePath } from '../../../core/src/native/addon.js';
import { joinPath, type DirName } from '../fs/names.js';
import type { TreeSource } from '../remote/tree-source.js';

export interface PlannedItem {
  /** Path below the target ('/'-separated, never empty): what every file system call is made with. */
  rel: NativePath;
  entry: TreeEntry;
}

export interface PlannedFile extends PlannedItem {
  chunks: Uint8Array[];
}

export interface RestorePlan {
  dirs: PlannedItem[];
  files: PlannedFile[];
  /** Later entries of a hard-link group: linked to `to` once its content is written. */
  links: Array<PlannedItem & { to: NativePath }>;
  others: PlannedItem[];
  bytes: number;
}

type Include = string[][];

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

export async function planRestore(trees: TreeSource, root: Uint8Array, includePaths: readonly string[]): Promise<RestorePlan> {
  const includes: Include = includePaths.map((p) => p.split('/').filter((c) => c !== '' && c !== '.'));
  const plan: RestorePlan = { dirs: [], files: [], links: [], others: [], bytes: 0 };
  const budget = trees.budget;
  const firstOfLink = new Map<number, NativePath>();
  // Components (for --include) are kept only when there are includes: per entry they would
  // cost an array as long as its depth.
  let level: Array<{ tree: Uint8Array; rel: NativePath; components: string[] | null }> = [{ tree: root, rel: '', components: includes.length > 0 ? [] : null }];
  for (let depth = 0; level.length > 0; depth++) {
    budget.checkDepth(depth, (level[0] as { tree: Uint8Array }).tree);
    await trees.load(level.map((l) => l.tree));
    const next: typeof level = [];
    for (const dir of level) {
      for (const e of await trees.entries(dir.tree)) {
        const components = dir.components && [...dir.components, e.name];
        const state = components ? includeState(components, includes) : 'all';
        if (state === 'none' || (state === 'ancestor' && e.type !== 'dir')) continue;
        budget.spendEntries(1);
        const name: DirName = { name: e.name, raw: e.rawName ? Buffer.from(e.rawName) : undefined };
        const item: PlannedItem = { rel: childRel(dir.rel, name), entry: e };
        if (e.type === 'dir') {
          plan.dirs.push(item);
          next.push({ tree: e.subtree as Uint8Array, rel: item.rel, components });
        } else if (e.type === 'file') {
          const first = e.hardlink !== undefined ? firstOfLink.get(e.hardlink) : undefined;
          if (first !== undefined) {
            plan.links.push({ ...item, to: first });
            continue;
          }
          if (e.hardlink !== undefined) firstOfLink.set(e.hardlink, item.rel);
          budget.spendBytes(e.size);
          const chunks = e.list ? await trees.listChunks(e.list) : (e.data ?? []);
          if (!e.list) budget.spendEntries(chunks.length);
          plan.files.push({ ...item, chunks });
          plan.bytes += e.size;
        } else plan.others.push(item);
      }
    }
    level = next;
  }
  return plan;
}
