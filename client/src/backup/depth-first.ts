// The walk's directory scans, a few at a time, in depth-first order. The walk asks for every
// subdirectory's scan as soon as its parent is listed; served first come first served, an
// unchanged backup had the whole tree in flight at once, every directory's entries alive
// until the last subdirectory under it finished, and the main thread's collector copied them
// from one young generation to the next (0.3 s of a 1.3 s unchanged backup of the bench
// dataset). Served in the tree's pre-order (a directory's place is the list of its ancestors'
// places among their siblings), a subtree is listed, its trees built and its entries dropped
// before the next sibling's subtree begins, and files still reach the content workers in the
// order of the tree.

import { PreorderQueue, type Place } from './preorder-queue.js';

interface Waiter {
  place: Place;
  go: () => void;
}

export class DepthFirst {
  private active = 0;
  private readonly waiting = new PreorderQueue<Waiter>();

  constructor(private readonly limit: number) {}

  async run<T>(place: Place, task: () => Promise<T>): Promise<T> {
    // A slot freed is handed straight to the earliest waiter, so `active` counts it throughout.
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((go) => this.waiting.push({ place, go }));
    try {
      return await task();
    } finally {
      const next = this.waiting.pop();
      if (next) next.go();
      else this.active--;
    }
  }
}
