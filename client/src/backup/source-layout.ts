// Where the paths given on the command line go in the snapshot: stored as given (as restic
// does), so `haven backup data` from /srv stores `data/...` and `haven backup /etc` stores
// `/etc/...` as `etc` under the root; a restore recreates them the same way under --target.
// Directories between the root and a given path are "virtual": only their own metadata is
// recorded, not their other contents.

import { isAbsolute, normalize, resolve } from 'node:path';

export type SourceNode =
  | { kind: 'real'; fsPath: string }
  | { kind: 'virtual'; fsPath: string; children: Map<string, SourceNode> }
  | { kind: 'stdin' };

export interface SourceLayout {
  /** The root: a real directory (when `.` or `/` was given) or a virtual one. */
  root: SourceNode;
}

export function componentsOf(p: string): { absolute: boolean; components: string[] } {
  let norm = normalize(p);
  // `..` cannot be stored as given: such paths are stored as absolute ones.
  if (!isAbsolute(norm) && (norm === '..' || norm.startsWith('../'))) norm = resolve(norm);
  return { absolute: isAbsolute(norm), components: norm.split('/').filter((c) => c !== '' && c !== '.') };
}

export function layoutSources(paths: readonly string[], stdinName?: string): SourceLayout {
  let root: SourceNode = { kind: 'virtual', fsPath: '/', children: new Map() };
  for (const p of paths) {
    const { absolute, components } = componentsOf(p);
    if (components.length === 0) {
      root = { kind: 'real', fsPath: absolute ? '/' : '.' };
      continue;
    }
    if (root.kind !== 'virtual') continue; // already covered by the whole root
    let dir: SourceNode = root;
    for (let i = 0; i < components.length; i++) {
      const name = components[i] as string;
      const fsPath = `${absolute ? '/' : ''}${components.slice(0, i + 1).join('/')}`;
      if (dir.kind !== 'virtual') break;
      const existing: SourceNode | undefined = dir.children.get(name);
      if (i === components.length - 1) {
        dir.children.set(name, { kind: 'real', fsPath });
      } else if (!existing) {
        const v: SourceNode = { kind: 'virtual', fsPath, children: new Map() };
        dir.children.set(name, v);
        dir = v;
      } else if (existing.kind === 'virtual') dir = existing;
      else break; // a parent was given: it covers this path
    }
  }
  if (stdinName !== undefined) {
    if (root.kind !== 'virtual') throw new RangeError('--stdin cannot be combined with backing up . or /');
    root.children.set(stdinName, { kind: 'stdin' });
  }
  return { root };
}
