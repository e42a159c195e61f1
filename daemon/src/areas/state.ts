// The state directory's areas: the directory itself, claimed for this process by the pid file
// (one daemon per state directory), and the state database inside it.

import { HavenError } from '../../../core/src/errors.js';
import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import type { Logger } from 'pino';
import { claimPidFile } from '../pidfile.js';
import { openStateDb, type WriteFailed } from '../state/state-db.js';
import type { Area } from './area.js';

/** Creates the state directory if needed and holds the pid file while the daemon runs. */
export function stateDirArea(dataDir: string): Area {
  let release: (() => void) | null = null;
  return {
    name: 'state-dir',
    start() {
      try {
        makeDirs(dataDir, 0o750);
      } catch (err) {
        throw new HavenError('STATE_DIR_UNUSABLE', { dir: dataDir, detail: (err as Error).message });
      }
      release = claimPidFile(dataDir);
    },
    stop() {
      release?.();
    },
  };
}

/** A state file system that is full fails every write: one line per database a minute says so. */
const REPORT_EVERY_MS = 60_000;

function logWriteFailures(log: Pick<Logger, 'error'>): WriteFailed {
  const last = new Map<string, { at: number; since: number }>();
  return (err, database) => {
    const now = Date.now();
    const seen = last.get(database);
    if (seen && now - seen.at < REPORT_EVERY_MS) {
      seen.since++;
      return;
    }
    log.error({ err, database, failedSinceLastReport: seen?.since ?? 0 }, 'a state database write failed (is the state directory\'s file system full?)');
    last.set(database, { at: now, since: 0 });
  };
}

/** The daemon's own LMDB environment (tokens, accounts, disks, pools, tasks). */
export function stateDbArea(dataDir: string, log: Pick<Logger, 'error'>) {
  const db = openStateDb(dataDir, logWriteFailures(log));
  return {
    name: 'state',
    db,
    start(): void {},
    stop: () => db.close(),
  };
}
