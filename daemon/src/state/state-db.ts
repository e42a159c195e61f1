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

export function openStateDb(dataDir: string): StateDb {
  const path = join(dataDir, 'state');
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const env = open({ path, maxDbs: 64 });
  return {
    env,
    db: <V, K extends string | number | Buffer | Array<string | number> = string>(name: string, options: { keyEncoding?: 'binary' | 'uint32' | 'ordered-binary' } = {}) =>
      env.openDB<V, K>({ name, ...options }),
    close: () => env.close(),
  };
}
