// The daemon's own state (DESIGN section 1): tokens, accounts, disks, pools, workflows,
// tasks. It lives in the state directory on the system disk, apart from the datastore, so a
// degraded pool never takes the daemon's memory with it. LMDB is multi-process safe, which
// lets `havend token create` work whether or not the daemon runs.

import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import { stateSpace, type StateSpace } from './state-space.js';

export interface StateDb {
  env: RootDatabase;
  /** Opens (or creates) a named database; each area owns its own. */
  db<V, K extends string | number | Buffer | Array<string | number> = string>(name: string, options?: DbOptions): Database<V, K>;
  close(): Promise<void>;
}

/** Keys and values are msgpack unless a database asks for raw bytes. */
export interface DbOptions {
  keyEncoding?: 'binary' | 'uint32' | 'ordered-binary';
  encoding?: 'binary';
}

/** Told of a write that failed where nobody waits for it (the state file system full or failing). */
export type WriteFailed = (err: unknown, database: string) => void;

export function openStateDb(dataDir: string, onWriteFailed: WriteFailed = reportToStderr): StateDb {
  const path = join(dataDir, 'state');
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const env = open({ path, maxDbs: 64 });
  const writes = new GuardedWrites(stateSpace(path), onWriteFailed);
  writes.guard(env, 'root');
  return {
    env,
    db: <V, K extends string | number | Buffer | Array<string | number> = string>(name: string, options: DbOptions = {}) =>
      writes.guard(env.openDB<V, K>({ name, ...options }), name),
    close: async () => {
      // After a commit failed (the state file system filled up between the space check and
      // the commit), lmdb-js cannot close the environment: its close waits for a flush that
      // never settles, and closing anyway aborted in its native code. It is left open: every
      // transaction that committed is on disk (LMDB commits are atomic and durable, and the
      // next open finds the last committed one, as after a crash), the failed ones are lost as
      // they already were, and lmdb-js's exit hook syncs and closes it as the process exits.
      if (writes.lastCommitFailed) return;
      await env.close();
    },
  };
}

type Write = (...args: unknown[]) => unknown;

/**
 * Every state write goes through here, for two reasons. First, free space: a write is refused
 * with STATE_FULL before LMDB sees it when the state file system is below its reserve
 * (state-space.ts), checked once per write or transaction (not for each write inside one).
 * Second, asynchronous puts and removes are often fire-and-forget (a task's progress, an
 * alert, a token's last use): the daemon keeps the value in memory and the write is a copy for
 * the next start. When the state file system is full or failing, their promises reject;
 * unobserved, each rejection would end the daemon. Each write's promise is observed here
 * (reported, not swallowed: a caller that awaits it still gets the error). It also notes
 * whether the last commit failed, which decides how the environment is closed.
 */
class GuardedWrites {
  lastCommitFailed = false;
  private inTransaction = 0;

  constructor(private readonly space: StateSpace, private readonly onWriteFailed: WriteFailed) {}

  guard<D>(db: D, name: string): D {
    const target = db as unknown as Record<string, Write>;
    const original = (method: string): Write => (target[method] as Write).bind(db);
    const [put, remove, transaction, putSync, removeSync, transactionSync] =
      ['put', 'remove', 'transaction', 'putSync', 'removeSync', 'transactionSync'].map(original) as [Write, Write, Write, Write, Write, Write];
    Object.assign(target, {
      put: (...args: unknown[]) => this.asyncWrite(name, () => put(...args)),
      remove: (...args: unknown[]) => this.asyncWrite(name, () => remove(...args)),
      transaction: (callback: () => unknown) => this.asyncWrite(name, () => transaction(() => this.within(callback))),
      putSync: (...args: unknown[]) => this.syncWrite(() => putSync(...args)),
      removeSync: (...args: unknown[]) => this.syncWrite(() => removeSync(...args)),
      transactionSync: (callback: () => unknown, ...rest: unknown[]) => this.syncWrite(() => transactionSync(() => this.within(callback), ...rest)),
    });
    return db;
  }

  private assertRoom(): void {
    if (this.inTransaction === 0) this.space.assertRoom();
  }

  /** Runs a transaction's body: its writes were admitted with the transaction. */
  private within<T>(callback: () => T): T {
    this.inTransaction++;
    try {
      return callback();
    } finally {
      this.inTransaction--;
    }
  }

  private asyncWrite(name: string, write: () => unknown): unknown {
    if (this.inTransaction > 0) return write();
    let pending: Promise<unknown>;
    try {
      this.space.assertRoom();
      pending = write() as Promise<unknown>;
    } catch (err) {
      if (!isStateFull(err)) throw err;
      pending = Promise.reject(err);
    }
    pending.then(
      () => { this.lastCommitFailed = false; },
      (err: unknown) => {
        if (observeCommitFailure(err)) this.lastCommitFailed = true;
        this.onWriteFailed(err, name);
      },
    );
    return pending;
  }

  private syncWrite(write: () => unknown): unknown {
    this.assertRoom();
    if (this.inTransaction > 0) return write();
    try {
      const result = write();
      this.lastCommitFailed = false;
      return result;
    } catch (err) {
      // LMDB's own failures carry its numeric code (28: ENOSPC); a HavenError from the guard
      // or from the transaction's body is not a failed commit.
      if (typeof (err as { code?: unknown }).code === 'number') this.lastCommitFailed = true;
      throw err;
    }
  }
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

/** Whether `err` is a state write refused for lack of space (state-space.ts). */
export function isStateFull(err: unknown): boolean {
  return err instanceof HavenError && err.code === 'STATE_FULL';
}

/** Whether `err` is a state write's failure: refused for lack of space, or a failed LMDB commit (observed). */
export function isStateWriteFailure(err: unknown): boolean {
  return isStateFull(err) || observeCommitFailure(err);
}

/**
 * Runs a repair of state records at start (closing the runs a killed daemon left open). Refused
 * for lack of space, it is left for the next start rather than failing this one: the daemon
 * must start on a full state file system, and the records stay open until then.
 */
export function unlessStateFull(repair: () => void): void {
  try {
    repair();
  } catch (err) {
    if (!isStateFull(err)) throw err;
  }
}
