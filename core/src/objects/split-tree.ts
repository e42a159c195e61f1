// A split directory is one directory: its parts together form one namespace. Each part is
// checked alone by the tree decoder (sorted, unique names), so what is left to check is
// the seams between parts: the last name of a part must sort strictly before the first
// name of the next. Without this, one part could hold a symlink `esc` and another a
// directory `esc`, and a restore would create the directory's contents through the link
// (issue 18). The appliance refuses such a tree at commit, `store check` reports one, and
// the client refuses to read one.

import { MsgpackError } from './msgpack.js';
import { compareNames, type TreeEntry, type TreeObject } from './tree.js';

/**
 * The entries of a split directory, parts joined in order; throws MsgpackError when a part
 * is itself split or empty, or when names are not unique and ordered across the parts.
 */
export function joinParts(parts: readonly TreeObject[]): TreeEntry[] {
  const out: TreeEntry[] = [];
  parts.forEach((part, i) => {
    if (!('entries' in part)) throw new MsgpackError(`part ${i} of a split directory is itself split`);
    const first = part.entries[0];
    if (first === undefined) throw new MsgpackError(`part ${i} of a split directory is empty`);
    const before = out[out.length - 1];
    if (before !== undefined && compareNames(before, first) >= 0) {
      throw new MsgpackError(`names not unique and ordered across the parts of a split directory (${JSON.stringify(first.name)} at the start of part ${i})`);
    }
    for (const e of part.entries) out.push(e);
  });
  return out;
}
