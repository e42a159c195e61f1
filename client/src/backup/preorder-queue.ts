// Waiters of the backup walk kept in the tree's pre-order. A place is the list of a node's
// and its ancestors' indices among their siblings ([] is the root; [2, 0] the first entry of
// the root's third): the earliest place is the one a depth-first walk reaches first, so
// serving waiters earliest first finishes a subtree before its next sibling's begins.

export type Place = readonly number[];

/** Whether `a` comes before `b` in pre-order (an ancestor before its descendants). */
function before(a: Place, b: Place): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return a.length < b.length;
}

/** A binary heap, the earliest place at the top. */
export class PreorderQueue<T extends { readonly place: Place }> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(w: T): void {
    const h = this.heap;
    h.push(w);
    for (let i = h.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (!before((h[i] as T).place, (h[up] as T).place)) break;
      [h[i], h[up]] = [h[up] as T, h[i] as T];
      i = up;
    }
  }

  pop(): T | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before((h[l] as T).place, (h[m] as T).place)) m = l;
        if (r < h.length && before((h[r] as T).place, (h[m] as T).place)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as T, h[i] as T];
        i = m;
      }
    }
    return top;
  }
}
