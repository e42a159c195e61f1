// Small writes to the index outside the append path (holds, quarantine): one synchronous
// transaction, then wait until LMDB has flushed it, so a hold registered is a hold that
// survives a crash. Failures come out as the catalogue's storage errors, like an append's.

import { lmdbCause, storageError } from './chunk-store.js';
import type { ObjectIndex } from './object-index.js';

/** Whatever holds the current index (ChunkStore: relocate() replaces it, so never keep one). */
export interface IndexHolder {
  readonly index: ObjectIndex;
}

export async function writeIndex<T>(index: ObjectIndex, fn: () => T): Promise<T> {
  try {
    const result = index.env.transactionSync(fn);
    await index.env.flushed;
    return result;
  } catch (err) {
    throw storageError(await lmdbCause(err));
  }
}

/**
 * The same in an asynchronous LMDB transaction: `fn` runs whole on this thread when the
 * transaction begins, and the commit and its sync happen on LMDB's own thread, so a long run of
 * small writes (garbage collection's bookkeeping) never holds the event loop for a disk sync.
 */
export async function writeIndexAsync<T>(index: ObjectIndex, fn: () => T): Promise<T> {
  let result: T | undefined;
  try {
    await index.env.transaction(() => {
      result = fn();
    });
  } catch (err) {
    throw storageError(await lmdbCause(err));
  }
  return result as T;
}
