// What the main thread and the content workers say to each other (structured clone).

import type { ChunkerParams } from '../../../core/src/api/backup.js';
import type { ServerConnection } from '../api/http-transport.js';
import type { UploadTotals } from './uploader.js';

export interface ContentWorkerData {
  connection: ServerConnection;
  session: string;
  chunker: ChunkerParams;
  level: number;
  maxHasDigests: number;
}

export interface FileJobItem {
  /** A string, or the exact bytes of a path that is not valid UTF-8. */
  path: string | Uint8Array;
  /** Size from lstat: a hint for buffer sizing; the bytes actually read count. */
  size: number;
  /** The walk's lstat times: a file whose fstat after the read differs changed while it was read. */
  mtimeNs: bigint;
  ctimeNs: bigint;
}

export interface FileJob {
  id: number;
  files: FileJobItem[];
}

export interface FileResult {
  /** Chunk digests in order, 32 bytes each; absent when the file could not be read. */
  digests?: Uint8Array;
  bytes: number;
  /** Of `bytes`, those of holes that were not read (known from lseek to be zeros). */
  holeBytes?: number;
  /** Why the file was skipped (vanished, unreadable). */
  error?: string;
  /**
   * The file's size, mtime or ctime after the read differ from the walk's: it changed during
   * the backup, and the bytes read may mix two versions of it.
   */
  changed?: true;
}

export interface ContentSummary {
  totals: UploadTotals;
  native: boolean;
}
