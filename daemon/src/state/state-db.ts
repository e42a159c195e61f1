// The daemon's own state (DESIGN section 1): tokens, accounts, disks, pools, workflows,
// tasks. It lives in the state directory on the system disk, apart from the datastore, so a
// degraded pool never takes the daemon's memory with it. LMDB is multi-process safe, which
// lets `havend token create` work whether or not the daemon runs.

import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface StateDb {
  env: RootDatabase;
  /** Opens (or creates) a named database; each area owns its own. */
  db<V, K extends string | number | Buffer | Array<string | number> = string>(name: string, options?: { keyEncoding?: 'binary' | 'uint32' | 'ordered-binary' }): Database<V, K>;
  close(): Promise<void>;
}

/** Told of a write that failed where nobody waits for it (the state file system full or failing). */
export type WriteFailed = (err: unknown, database: string) => void;

export function openStateDb(dataDir: string, onWriteFailed: WriteFailed = reportToStderr): StateDb {
  const path = join(dataDir, 'state');
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const env = open({ path, maxDbs: 64 });
  return {
    env,
    db: <V, K extends string | number | Buffer | Array<string | number> = string>(name: string, options: { keyEncoding?: 'binary' | 'uint32' | 'ordered-binary' } = {}) =>
      observeWrites(env.openDB<V, K>({ name, ...options }), name, onWriteFailed),
    close: () => env.close(),
  };
}

/**
 * Asynchronous puts and removes are often fire-and-forget (a task's progress, an alert, a
 * token's last use): the daemon keeps the value in memory and the write is a copy for the
 * next start. When the state file system is full or failing, LMDB rejects every write of the
 * batch; unobserved, each rejection would end the daemon. Each write's promise is observed
 * here (reported, not swallowed: a caller that awaits it still gets the error).
 */
function observeWrites<V, K extends string | number | Buffer | Array<string | number>>(db: Database<V, K>, name: string, onWriteFailed: WriteFailed): Database<V, K> {
  const put = db.put.bind(db) as (...args: unknown[]) => Promise<boolean>;
  const remove = db.remove.bind(db) as (...args: unknown[]) => Promise<boolean>;
  const observed = (write: Promise<boolean>): Promise<boolean> => {
    write.catch((err: unknown) => {
      observeCommitFailure(err);
      onWriteFailed(err, name);
    });
    return write;
  };
  Object.assign(db, {
    put: (...args: unknown[]) => observed(put(...args)),
    remove: (...args: unknown[]) => observed(remove(...args)),
  });
  return db;
}

function reportToStderr(err: unknown, database: string): void {
  process.stderr.write(`state database ${database}: a write failed: ${(err as Error).message}\n`);
}

/**
 * Whether `err` is LMDB's rejection of a write whose commit failed (ENOSPC, EIO); it carries
 * the batch's own rejected promise (commitError), which is observed here too: LMDB leaves it
 * to whoever looks, and unobserved it would end the daemon.
 */
export function observeCommitFailure(err: unknown): boolean {
  const commitError = (err as { commitError?: unknown } | null)?.commitError;
  if (!(err instanceof Error) || !(commitError instanceof Promise)) return false;
  commitError.catch(() => undefined);
  return true;
}
