// The datastore's identity file: who it is, which format it is in, and the chunker
// parameters that every client of this datastore must use to deduplicate together.
// It lives in the datastore (not the state directory) so rebuilding the index or
// replicating the datastore keeps its dedup parameters.

import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { makeDirs } from '../../../core/src/fs/make-dirs.js';
import { dirname, join } from 'node:path';
import { HavenError } from '../../../core/src/errors.js';
import type { ChunkerParams } from '../../../core/src/api/backup.js';
import { CHUNKER_ALGORITHM } from '../../../core/src/api/wire-constants.js';

export const IDENTITY_FILE = 'haven-datastore.json';
/** Bump when segments, records or object encodings change incompatibly (docs/FORMAT.md). */
export const FORMAT_VERSION = 1;

export interface DatastoreIdentity {
  format: 'haven-datastore';
  version: number;
  id: string;
  created: string;
  chunker: ChunkerParams;
}

export function defaultChunker(): ChunkerParams {
  return {
    algorithm: CHUNKER_ALGORITHM,
    seed: randomBytes(32).toString('hex'),
    minSize: 256 * 1024,
    avgSize: 1024 * 1024,
    maxSize: 4 * 1024 * 1024,
  };
}

/** Writes a file so that a crash leaves the old content or the new one, never a mix. */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readIdentity(root: string): DatastoreIdentity | null {
  const path = join(root, IDENTITY_FILE);
  if (!existsSync(path)) return null;
  let parsed: Partial<DatastoreIdentity>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DatastoreIdentity>;
  } catch (err) {
    throw new HavenError('DATASTORE_INVALID', { path: root, detail: `${IDENTITY_FILE}: ${(err as Error).message}` });
  }
  if (parsed.format !== 'haven-datastore' || typeof parsed.version !== 'number' || typeof parsed.id !== 'string') {
    throw new HavenError('DATASTORE_INVALID', { path: root, detail: `${IDENTITY_FILE} is not a Haven datastore identity` });
  }
  if (parsed.version > FORMAT_VERSION) {
    throw new HavenError('DATASTORE_TOO_NEW', { path: root, found: parsed.version, supported: FORMAT_VERSION });
  }
  const c = parsed.chunker;
  if (!c || c.algorithm !== CHUNKER_ALGORITHM || !/^[0-9a-f]{64}$/.test(c.seed)) {
    throw new HavenError('DATASTORE_INVALID', { path: root, detail: 'missing or unknown chunker parameters' });
  }
  return parsed as DatastoreIdentity;
}

/** Opens the identity of an existing datastore or creates a new one. */
export function openOrCreateIdentity(root: string): DatastoreIdentity {
  const existing = readIdentity(root);
  if (existing) return existing;
  const identity: DatastoreIdentity = {
    format: 'haven-datastore',
    version: FORMAT_VERSION,
    id: randomUUID(),
    created: new Date().toISOString(),
    chunker: defaultChunker(),
  };
  writeIdentity(root, identity);
  return identity;
}

/** Writes an identity into `root` (a new datastore, or one moved there with its identity). */
export function writeIdentity(root: string, identity: DatastoreIdentity): void {
  makeDirs(root);
  writeFileAtomic(join(root, IDENTITY_FILE), JSON.stringify(identity, null, 2) + '\n');
}
