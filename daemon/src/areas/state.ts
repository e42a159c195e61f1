// The state directory's areas: the directory itself, claimed for this process by the pid file
// (one daemon per state directory), and the state database inside it.

import { mkdirSync } from 'node:fs';
import { claimPidFile } from '../pidfile.js';
import { openStateDb } from '../state/state-db.js';
import type { Area } from './area.js';

/** Creates the state directory if needed and holds the pid file while the daemon runs. */
export function stateDirArea(dataDir: string): Area {
  let release: (() => void) | null = null;
  return {
    name: 'state-dir',
    start() {
      mkdirSync(dataDir, { recursive: true, mode: 0o750 });
      release = claimPidFile(dataDir);
    },
    stop() {
      release?.();
    },
  };
}

/** The daemon's own LMDB environment (tokens, accounts, disks, pools, tasks). */
export function stateDbArea(dataDir: string) {
  const db = openStateDb(dataDir);
  return {
    name: 'state',
    db,
    start(): void {},
    stop: () => db.close(),
  };
}
